package dev.qkv.models.bert;

import dev.qkv.nn.Dropout;
import dev.qkv.nn.Linear;
import dev.qkv.nn.Module;
import dev.qkv.nn.functional.F;
import dev.qkv.nn.functional.Reduction;
import dev.qkv.tensor.DType;
import dev.qkv.tensor.Generator;
import dev.qkv.tensor.Tensor;

import java.util.Arrays;

/**
 * BERT with a classifier on the pooled [CLS] state (Hugging Face's
 * {@code BertForSequenceClassification}, single-label case):
 * logits = classifier(dropout(pooler(bert(inputIds)))), one row of numLabels scores per sequence.
 */
public final class BertForSequenceClassification extends Module {
    public final BertConfig config;
    public final int numLabels;
    public final BertModel bert;
    public final Dropout dropout;
    /** C → numLabels. */
    public final Linear classifier;

    public BertForSequenceClassification(BertConfig config, int numLabels, Generator g) {
        if (numLabels < 2) {
            throw new IllegalArgumentException("BertForSequenceClassification: numLabels must be at least 2, got "
                    + numLabels + " (regression with one label is not supported)");
        }
        this.config = config;
        this.numLabels = numLabels;
        bert = registerModule("bert", new BertModel(config, true, g));
        dropout = registerModule("dropout", new Dropout(config.hiddenDropoutProb(), g));
        classifier = registerModule("classifier", new Linear(config.hiddenSize(), numLabels, g));
        BertModel.initWeights(classifier, config, g);
    }

    /** Logits [B, numLabels]; the arguments are {@link BertModel#forward}'s. */
    public Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) {
        Tensor pooled = bert.pool(bert.forward(inputIds, tokenTypeIds, attentionMask));   // (B, C)
        return classifier.forward(dropout.forward(pooled));                              // (B, numLabels)
    }

    /**
     * Cross-entropy of logits [B, numLabels] against labels [B] (−100 ignored). With class
     * weights w [numLabels] (or null for none) it is PyTorch's weighted mean:
     * Σᵢ w[yᵢ]·(−log p(yᵢ)) / Σᵢ w[yᵢ], over the non-ignored rows.
     */
    public Tensor loss(Tensor logits, Tensor labels, Tensor classWeights) {
        if (logits.dim() != 2 || logits.size(1) != numLabels || labels.dim() != 1 || labels.size(0) != logits.size(0)) {
            throw new IllegalArgumentException("BertForSequenceClassification.loss: expects logits [B, " + numLabels
                    + "] and labels [B], got " + Arrays.toString(logits.shape()) + " and " + Arrays.toString(labels.shape()));
        }
        if (classWeights == null) {
            return F.crossEntropy(logits, labels, Reduction.MEAN, -100, 0.0);
        }
        if (classWeights.dim() != 1 || classWeights.size(0) != numLabels) {
            throw new IllegalArgumentException("BertForSequenceClassification.loss: classWeights must be [" + numLabels
                    + "], got " + Arrays.toString(classWeights.shape()));
        }
        Tensor perRow = F.crossEntropy(logits, labels, Reduction.NONE, -100, 0.0);        // (B), 0 where ignored
        Tensor valid = labels.ne(-100);                                                   // (B)
        Tensor safe = Tensor.where(valid, labels.to(DType.INT64), Tensor.zeros(DType.INT64, labels.device()));
        Tensor w = classWeights.detach().to(logits.dtype()).indexSelect(0, safe)          // (B): w[yᵢ]
                .mul(valid.to(logits.dtype()));
        return perRow.mul(w).sum().div(w.sum());
    }
}

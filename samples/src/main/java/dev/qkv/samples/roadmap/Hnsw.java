package dev.qkv.samples.roadmap;

import dev.qkv.tensor.Generator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Hierarchical Navigable Small World graphs (Malkov and Yashunin, 2016): approximate nearest
 * neighbours by greedy walks on a layered graph, for unit vectors under cosine distance 1 − a·b.
 *
 * <p><b>The idea.</b> Every vector is a node of layer 0, a graph where each node links to up to
 * 2M near nodes. A search walks greedily: from the current node, move to whichever neighbour is
 * closest to the query, until nothing is closer. With only near links that walk is slow across a
 * big graph, so a random subset of nodes (probability 1/M each layer up, like a skip list) also
 * sits in layers 1, 2, …, sparser graphs with longer links. A search starts at the top layer,
 * walks greedily there, drops to the layer below at the node it reached, and so on; at layer 0
 * it keeps a list of the {@code ef} best nodes seen (a beam) instead of a single one, which
 * trades speed for recall.
 *
 * <p><b>Building</b> is searching: a new node draws its top layer, walks down from the entry
 * point like a query, and on each of its layers links to M of the {@code efConstruction} nearest
 * nodes found there; those nodes link back, dropping their farthest link when they have too
 * many.
 *
 * <p>Not here: deletion, concurrency, and storing vectors off-heap — a production index (hnswlib,
 * Lucene, FAISS) has them. This one is for reading.
 */
final class Hnsw {
    private final float[][] vectors;          // node id -> unit vector
    private final int m;                      // links per node on layers >= 1 (2M on layer 0)
    private final int efConstruction;         // beam width while building
    private final double levelMult;           // 1/ln M: P(a node reaches layer l) = M^-l
    private final Generator g;
    /** links.get(node)[layer]: the node's neighbours on that layer (layers 0 .. its top). */
    private final List<int[][]> links = new ArrayList<>();
    private final List<int[]> linkCount = new ArrayList<>();
    private int entry = -1;                   // a node on the top layer
    private int topLayer = -1;
    /** Distance evaluations so far: the cost measure that does not depend on the machine. */
    long distanceCount;

    Hnsw(float[][] vectors, int m, int efConstruction, long seed) {
        this.vectors = vectors;
        this.m = m;
        this.efConstruction = efConstruction;
        this.levelMult = 1 / Math.log(m);
        this.g = new Generator(seed);
        for (int i = 0; i < vectors.length; i++) {
            insert(i);
        }
    }

    double distance(float[] q, int node) {
        distanceCount++;
        float[] v = vectors[node];
        double dot = 0;
        for (int i = 0; i < q.length; i++) {
            dot += q[i] * v[i];
        }
        return 1 - dot;
    }

    private int maxLinks(int layer) {
        return layer == 0 ? 2 * m : m;
    }

    /** A node and its distance to the current query. */
    record Hit(int node, double dist) {
    }

    // ===================================================================== search

    /** The k nearest nodes to unit vector q, nearest first, with a beam of ef at layer 0. */
    int[] search(float[] q, int k, int ef) {
        if (entry < 0) {
            return new int[0];
        }
        Hit ep = new Hit(entry, distance(q, entry));
        for (int layer = topLayer; layer > 0; layer--) {
            ep = searchLayer(q, List.of(ep), 1, layer).get(0);      // greedy walk: a beam of 1
        }
        List<Hit> best = searchLayer(q, List.of(ep), Math.max(ef, k), 0);
        return best.stream().limit(k).mapToInt(Hit::node).toArray();
    }

    /**
     * Beam search on one layer: repeatedly expand the closest unexpanded candidate, keeping the
     * ef closest nodes seen; stop when the closest candidate is farther than the worst of those
     * ef (no neighbour can improve the list any more). Returns them nearest first.
     */
    List<Hit> searchLayer(float[] q, List<Hit> entryPoints, int ef, int layer) {
        BitSet visited = new BitSet(vectors.length);
        PriorityQueue<Hit> candidates = new PriorityQueue<>(Comparator.comparingDouble(Hit::dist));      // nearest first
        PriorityQueue<Hit> found = new PriorityQueue<>(Comparator.comparingDouble(Hit::dist).reversed()); // farthest first
        for (Hit h : entryPoints) {
            visited.set(h.node());
            candidates.add(h);
            found.add(h);
        }
        while (!candidates.isEmpty()) {
            Hit c = candidates.poll();
            if (c.dist() > found.peek().dist() && found.size() >= ef) {
                break;
            }
            int[] nb = links.get(c.node())[layer];
            for (int j = 0; j < linkCount.get(c.node())[layer]; j++) {
                int n = nb[j];
                if (visited.get(n)) {
                    continue;
                }
                visited.set(n);
                double d = distance(q, n);
                if (found.size() < ef || d < found.peek().dist()) {
                    candidates.add(new Hit(n, d));
                    found.add(new Hit(n, d));
                    if (found.size() > ef) {
                        found.poll();                                  // drop the farthest
                    }
                }
            }
        }
        List<Hit> out = new ArrayList<>(found);
        out.sort(Comparator.comparingDouble(Hit::dist));
        return out;
    }

    // ===================================================================== building

    private void insert(int node) {
        int level = (int) Math.floor(-Math.log(1 - g.nextDouble()) * levelMult);
        int[][] own = new int[level + 1][];
        for (int l = 0; l <= level; l++) {
            own[l] = new int[maxLinks(l) + 1];                       // +1: room to overflow before pruning
        }
        links.add(own);
        linkCount.add(new int[level + 1]);
        float[] q = vectors[node];
        if (entry < 0) {
            entry = node;
            topLayer = level;
            return;
        }
        Hit ep = new Hit(entry, distance(q, entry));
        for (int layer = topLayer; layer > level; layer--) {
            ep = searchLayer(q, List.of(ep), 1, layer).get(0);      // walk down to the node's own top layer
        }
        List<Hit> eps = List.of(ep);
        for (int layer = Math.min(level, topLayer); layer >= 0; layer--) {
            List<Hit> near = searchLayer(q, eps, efConstruction, layer);
            for (Hit h : selectNeighbours(near, m)) {
                link(node, h.node(), layer);
                link(h.node(), node, layer);
            }
            eps = near;
        }
        if (level > topLayer) {
            topLayer = level;
            entry = node;
        }
    }

    /** Adds a → b on a layer; if a now has too many links, keeps the best ones by the same rule as selection. */
    private void link(int a, int b, int layer) {
        int[] nb = links.get(a)[layer];
        int[] count = linkCount.get(a);
        nb[count[layer]++] = b;
        if (count[layer] > maxLinks(layer)) {
            List<Hit> cand = new ArrayList<>();
            for (int j = 0; j < count[layer]; j++) {
                cand.add(new Hit(nb[j], distance(vectors[a], nb[j])));
            }
            cand.sort(Comparator.comparingDouble(Hit::dist));
            List<Hit> keep = selectNeighbours(cand, maxLinks(layer));
            Arrays.fill(nb, 0);
            count[layer] = keep.size();
            for (int j = 0; j < keep.size(); j++) {
                nb[j] = keep.get(j).node();
            }
        }
    }

    /**
     * The paper's neighbour heuristic: go through the candidates nearest first and keep one only
     * if it is closer to the new node than to every neighbour kept so far. Plain "M nearest"
     * links a node in a tight cluster only to that cluster; this rule keeps some links pointing in
     * other directions, which is what lets greedy walks leave a cluster. Any slots left are
     * filled with the nearest of the skipped ones.
     */
    private List<Hit> selectNeighbours(List<Hit> nearestFirst, int max) {
        List<Hit> keep = new ArrayList<>();
        List<Hit> skipped = new ArrayList<>();
        for (Hit c : nearestFirst) {
            if (keep.size() >= max) {
                break;
            }
            boolean diverse = true;
            for (Hit k : keep) {
                if (distance(vectors[c.node()], k.node()) < c.dist()) {
                    diverse = false;
                    break;
                }
            }
            (diverse ? keep : skipped).add(c);
        }
        for (int i = 0; i < skipped.size() && keep.size() < max; i++) {
            keep.add(skipped.get(i));
        }
        return keep;
    }

    /** How many nodes reach each layer: roughly N, N/M, N/M², … */
    int[] layerSizes() {
        int[] sizes = new int[topLayer + 1];
        for (int[][] l : links) {
            for (int i = 0; i < l.length; i++) {
                sizes[i]++;
            }
        }
        return sizes;
    }
}

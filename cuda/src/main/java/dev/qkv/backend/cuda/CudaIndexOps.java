package dev.qkv.backend.cuda;

import dev.qkv.backend.Storage;
import dev.qkv.tensor.Layout;

/** indexSelect, indexAdd, gather and scatterAdd on the kernels of index.cu. */
final class CudaIndexOps {
    private final CudaBackend be;

    CudaIndexOps(CudaBackend be) {
        this.be = be;
    }

    /**
     * The index buffer as (buffer, offset, stride) for a 1-D walk: a rank-0 or rank-1 view as it
     * is, a contiguous view of higher rank as a flat run, anything else copied flat first.
     */
    private record FlatIndex(CudaStorage buffer, int offset, int stride, CudaStorage copy) {
    }

    private FlatIndex flat(CudaStorage idx, Layout il) {
        if (il.rank() == 0) {
            return new FlatIndex(idx, il.offset(), 0, null);
        }
        if (il.rank() == 1) {
            return new FlatIndex(idx, il.offset(), il.stride(0), null);
        }
        if (il.isContiguous()) {
            return new FlatIndex(idx, il.offset(), 1, null);
        }
        CudaStorage c = be.scratch(idx.dtype(), il.numel());
        be.copy(idx, il, c, Layout.contiguous(il.shape()));
        return new FlatIndex(c, 0, 1, c);
    }

    private static void close(FlatIndex f) {
        if (f.copy() != null) {
            f.copy().close();
        }
    }

    void indexSelect(Storage src, Layout sl, int dim, Storage idx, Layout il, Storage out) {
        CudaStorage s = be.cuda(src, "indexSelect");
        CudaStorage o = be.cuda(out, "indexSelect");
        int[] outShape = sl.shape();
        outShape[dim] = il.numel();
        ViewMerge.Dims outDims = ViewMerge.dims(outShape);
        if (outDims.numel() == 0) {
            return;
        }
        FlatIndex f = flat(be.cuda(idx, "indexSelect"), il);
        be.launch(Kernels.INDEX_SELECT, LaunchShapes.elementwise(outDims.numel()), new KernelArgs()
                .ptr(s).i32(CudaBackend.code(s)).strides(ViewMerge.strides(sl))
                .ptr(o).i32(CudaBackend.code(o)).dims(outDims)
                .ptr(f.buffer()).i32(CudaBackend.code(f.buffer())).i32(f.offset()).i32(f.stride())
                .i32(dim).i32(sl.shape(dim)).ptr(be.errorBuffer()));
        close(f);
    }

    void indexAdd(Storage dst, Layout dl, int dim, Storage idx, Layout il, Storage src, Layout sl) {
        CudaStorage d = be.cuda(dst, "indexAdd");
        CudaStorage s = be.cuda(src, "indexAdd");
        ViewMerge.Dims srcDims = ViewMerge.dims(sl.shape());
        if (srcDims.numel() == 0) {
            return;
        }
        FlatIndex f = flat(be.cuda(idx, "indexAdd"), il);
        be.launch(Kernels.INDEX_ADD, LaunchShapes.elementwise(srcDims.numel()), new KernelArgs()
                .ptr(d).i32(CudaBackend.code(d)).strides(ViewMerge.strides(dl))
                .ptr(s).i32(CudaBackend.code(s)).strides(ViewMerge.strides(sl)).dims(srcDims)
                .ptr(f.buffer()).i32(CudaBackend.code(f.buffer())).i32(f.offset()).i32(f.stride())
                .i32(dim).i32(dl.shape(dim)).ptr(be.errorBuffer()));
        close(f);
    }

    void gather(Storage src, Layout sl, int dim, Storage idx, Layout il, Storage out) {
        CudaStorage s = be.cuda(src, "gather");
        CudaStorage i = be.cuda(idx, "gather");
        CudaStorage o = be.cuda(out, "gather");
        ViewMerge.Dims idxDims = ViewMerge.dims(il.shape());
        if (idxDims.numel() == 0) {
            return;
        }
        be.launch(Kernels.GATHER, LaunchShapes.elementwise(idxDims.numel()), new KernelArgs()
                .ptr(s).i32(CudaBackend.code(s)).strides(ViewMerge.strides(sl))
                .ptr(o).i32(CudaBackend.code(o)).dims(idxDims)
                .ptr(i).i32(CudaBackend.code(i)).strides(ViewMerge.strides(il))
                .i32(dim).i32(sl.shape(dim)).ptr(be.errorBuffer()));
    }

    void scatterAdd(Storage dst, Layout dl, int dim, Storage idx, Layout il, Storage src, Layout sl) {
        CudaStorage d = be.cuda(dst, "scatterAdd");
        CudaStorage i = be.cuda(idx, "scatterAdd");
        CudaStorage s = be.cuda(src, "scatterAdd");
        ViewMerge.Dims idxDims = ViewMerge.dims(il.shape());
        if (idxDims.numel() == 0) {
            return;
        }
        be.launch(Kernels.SCATTER_ADD, LaunchShapes.elementwise(idxDims.numel()), new KernelArgs()
                .ptr(d).i32(CudaBackend.code(d)).strides(ViewMerge.strides(dl))
                .ptr(s).i32(CudaBackend.code(s)).strides(ViewMerge.strides(sl)).dims(idxDims)
                .ptr(i).i32(CudaBackend.code(i)).strides(ViewMerge.strides(il))
                .i32(dim).i32(dl.shape(dim)).ptr(be.errorBuffer()));
    }
}

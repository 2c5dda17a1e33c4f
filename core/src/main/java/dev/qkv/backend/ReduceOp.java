package dev.qkv.backend;

/** Reductions over one or more dims. ARGMAX/ARGMIN reduce one dim and produce INT64 indices. */
public enum ReduceOp {
    SUM, MAX, MIN, ARGMAX, ARGMIN
}

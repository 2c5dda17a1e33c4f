package dev.qkv.backend.cuda;

/**
 * A kernel launch's geometry: grid and block sizes and the bytes of dynamic shared memory.
 * {@link #check(int)} holds it to the limits every GPU qkv supports (compute capability 8.0+) and
 * to the device's shared memory per block.
 */
record LaunchShape(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes) {
    static final int MAX_THREADS_PER_BLOCK = 1024;
    static final int MAX_GRID_YZ = 65535;
    /** Dynamic shared memory a kernel may use without opting in per function. */
    static final int DEFAULT_SHARED_LIMIT = 48 * 1024;

    static LaunchShape linear(int grid, int block) {
        return new LaunchShape(grid, 1, 1, block, 1, 1, 0);
    }

    int threadsPerBlock() {
        return blockX * blockY * blockZ;
    }

    long blocks() {
        return (long) gridX * gridY * gridZ;
    }

    /** Throws if a driver would reject this launch on any supported GPU (48 KiB of shared memory). */
    LaunchShape check() {
        return check(DEFAULT_SHARED_LIMIT);
    }

    /**
     * Throws if a driver would reject this launch on a device that lets a kernel opt in to
     * {@code sharedLimit} bytes of dynamic shared memory per block (227 KiB on Hopper, 163 KiB on
     * the A100, 99 KiB on other Ampere and Ada GPUs).
     */
    LaunchShape check(int sharedLimit) {
        if (gridX < 1 || gridY < 1 || gridZ < 1 || blockX < 1 || blockY < 1 || blockZ < 1) {
            throw new IllegalArgumentException("empty launch " + this);
        }
        if (threadsPerBlock() > MAX_THREADS_PER_BLOCK) {
            throw new IllegalArgumentException("more than " + MAX_THREADS_PER_BLOCK + " threads per block: " + this);
        }
        if (gridY > MAX_GRID_YZ || gridZ > MAX_GRID_YZ) {
            throw new IllegalArgumentException("grid y/z above " + MAX_GRID_YZ + ": " + this);
        }
        if (sharedBytes < 0 || sharedBytes > sharedLimit) {
            throw new IllegalArgumentException("dynamic shared memory above " + sharedLimit + " bytes: " + this);
        }
        return this;
    }
}

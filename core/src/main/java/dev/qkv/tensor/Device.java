package dev.qkv.tensor;

/**
 * Where a tensor's storage lives. {@link #CPU} is always present; {@code Device.cuda(i)} names a GPU
 * that the cuda module provides. Ops require all their operands on one device and throw otherwise.
 *
 * @param type  "cpu" or "cuda"
 * @param index the device ordinal (0 for the CPU)
 */
public record Device(String type, int index) {
    public static final Device CPU = new Device("cpu", 0);

    public static Device cuda(int index) {
        return new Device("cuda", index);
    }

    public boolean isCpu() {
        return type.equals("cpu");
    }

    @Override
    public String toString() {
        return isCpu() ? "cpu" : type + ":" + index;
    }
}

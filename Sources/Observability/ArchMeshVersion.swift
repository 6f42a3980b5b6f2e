/// This package's version, which the health endpoints and the reports both give.
public enum ArchMeshVersion {
    public static let current = "0.1.0"
}

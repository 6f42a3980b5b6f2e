/// This package's version, reported by the health endpoints and in reports.
public enum ArchMeshVersion {
    public static let current = "0.1.0"
}

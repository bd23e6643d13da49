/// The version `default-etl --version` prints; `orchestrator --version` prints the same, and a
/// test holds them equal.
public enum ETLVersion {
    public static let current = "0.6.0"
}

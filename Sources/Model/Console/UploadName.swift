/// The rules an uploaded file's name must follow before it is used as a file name in a watched
/// folder. The name is never taken as a path: no `/`, no `..`, no leading dot (a hidden name is
/// the orchestrator's own), no control characters, at most 255 bytes.
public enum UploadName {
    /// Why `name` is refused, or nil when it may be used as is.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "the file name is empty" }
        if name.utf8.count > 255 { return "the file name is over 255 bytes" }
        if name.contains("/") || name.contains("\\") { return "the file name may not hold / or \\" }
        if name.hasPrefix(".") { return "the file name may not start with a dot" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.value == 0x7F }) {
            return "the file name may not hold control characters"
        }
        if name.hasRawBytes { return "the file name is not valid UTF-8" }
        return nil
    }
}

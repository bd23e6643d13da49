import Foundation

/// One change or action made through the console, the API or the pipelines and users commands:
/// who, when, what, on what. Appended, never changed.
public struct AuditEvent: Sendable, Hashable, Codable {
    public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
        case create, edit, delete, rollback
        case importManifest = "import"
        case retry, forget, suspend, resume, upload
        case login
        case loginFailed = "login-failed"
        case logout
        case userAdd = "user-add"
        case userRemove = "user-remove"
        case userPassword = "user-password"
    }

    /// Increasing; 0 before it is stored.
    public var id: Int64
    public var at: Date
    public var user: String
    public var action: Action
    /// What it acted on: a pipeline, `pipeline/sha256`, a user.
    public var target: String
    /// A short human account: the version saved, the file uploaded, the reason refused.
    public var detail: String

    public init(id: Int64 = 0, at: Date, user: String, action: Action, target: String, detail: String = "") {
        self.id = id
        self.at = at
        self.user = user
        self.action = action
        self.target = target
        self.detail = detail
    }
}

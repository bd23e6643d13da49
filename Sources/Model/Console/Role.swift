/// What a console user may do. Each role includes the ones before it, except that an uploader
/// uploads only to the pipelines it is granted (operators and admins to every pipeline).
public enum Role: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case viewer
    case uploader
    case `operator`
    case admin

    /// What a request asks to do, checked against the role before anything is read or written.
    public enum Permission: Sendable, Hashable {
        case read
        case upload(pipeline: String)
        /// Retry, forget, suspend, resume.
        case operate
        /// Create, edit, delete and roll back database pipelines.
        case editPipelines
        case manageUsers
    }

    public func allows(_ permission: Permission, grants: Set<String> = []) -> Bool {
        switch permission {
        case .read: return true
        case .upload(let pipeline): return self >= .operator || (self == .uploader && grants.contains(pipeline))
        case .operate: return self >= .operator
        case .editPipelines, .manageUsers: return self == .admin
        }
    }

    public var description: String { rawValue }
}

extension Role: Comparable {
    public static func < (left: Role, right: Role) -> Bool {
        allCases.firstIndex(of: left)! < allCases.firstIndex(of: right)!
    }
}

/// A local console user. The password is kept as a bcrypt hash only.
public struct UserAccount: Sendable, Hashable, Codable {
    public var name: String
    public var role: Role
    public var passwordHash: String
    /// The pipelines an uploader may upload to.
    public var grants: Set<String>

    public init(name: String, role: Role, passwordHash: String, grants: Set<String> = []) {
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.grants = grants
    }

    public func allows(_ permission: Role.Permission) -> Bool { role.allows(permission, grants: grants) }

    /// A user name: 1 to 64 ASCII letters, digits, `.`, `_`, `-` or `@`, so that it is safe in a log
    /// line, a header and a page.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy {
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-@".unicodeScalars.contains($0))
            }
    }
}

import Foundation
import HTTPServer
import Hummingbird
import HummingbirdBcrypt
import Model
import Reconciler

extension Console {
    struct NewUser: Decodable {
        let name: String
        let role: Role
        let password: String
        let grants: [String]?
    }

    struct Password: Decodable { let password: String }

    struct UserRow: Encodable {
        let name: String
        let role: Role
        let grants: [String]
    }

    /// Suspend and resume (operators), and user management (admins).
    func registerControl(on router: Router<ServerContext>) {
        for (verb, suspended) in [("suspend", true), ("resume", false)] {
            router.post("api/v1/pipelines/:name/\(verb)") { request, context -> Response in
                let caller = try await caller(request, context, may: .operate, what: "\(verb) pipelines")
                let name = try context.parameters.require("name")
                let author = caller.account.name
                let changed = try await blocking { try $0.setSuspended(name, suspended, author: author, at: Date()) }
                if changed {
                    await audit(caller, suspended ? .suspend : .resume, name)
                    await pipelinesEdited()
                }
                return Response(status: .noContent)
            }
        }
        router.get("api/v1/users") { request, context -> Response in
            _ = try await caller(request, context, may: .manageUsers, what: "manage users")
            let users = try await blocking { try $0.users() }
            return JSON.response(users.map { UserRow(name: $0.name, role: $0.role, grants: $0.grants.sorted()) })
        }
        router.post("api/v1/users") { request, context -> Response in
            let caller = try await caller(request, context, may: .manageUsers, what: "manage users")
            let new = try await JSON.decode(NewUser.self, from: request)
            guard UserAccount.isValidName(new.name) else {
                throw ConsoleError(
                    .unprocessableContent,
                    "a user name is 1 to 64 ASCII letters, digits, '.', '_', '-' or '@'"
                )
            }
            try Self.checkPassword(new.password)
            let hash = await Blocking.run { Bcrypt.hash(new.password, cost: 11) }
            let account = UserAccount(name: new.name, role: new.role, passwordHash: hash, grants: Set(new.grants ?? []))
            let added = try await blocking { store -> Bool in
                guard try store.user(named: new.name) == nil else { return false }
                try store.saveUser(account)
                return true
            }
            guard added else { throw ConsoleError(.conflict, "user \(new.name) exists") }
            await audit(caller, .userAdd, new.name, new.role.rawValue)
            return JSON.response(
                UserRow(name: account.name, role: account.role, grants: account.grants.sorted()),
                status: .created
            )
        }
        router.delete("api/v1/users/:user") { request, context -> Response in
            let caller = try await caller(request, context, may: .manageUsers, what: "manage users")
            let name = try context.parameters.require("user")
            guard name != caller.account.name else { throw ConsoleError(.conflict, "you cannot remove yourself") }
            guard try await blocking({ try $0.removeUser(name) }) else {
                throw ConsoleError.notFound("no user \(name)")
            }
            await audit(caller, .userRemove, name)
            return Response(status: .noContent)
        }
        router.put("api/v1/users/:user/password") { request, context -> Response in
            let name = try context.parameters.require("user")
            // Everyone may change their own password; admins anyone's.
            let caller = try await caller(request, context, may: .read, what: "change passwords")
            guard caller.account.name == name || caller.account.allows(.manageUsers) else {
                throw ConsoleError.forbidden("change another user's password")
            }
            let body = try await JSON.decode(Password.self, from: request)
            try Self.checkPassword(body.password)
            let hash = await Blocking.run { Bcrypt.hash(body.password, cost: 11) }
            let changed = try await blocking { store -> Bool in
                guard var user = try store.user(named: name) else { return false }
                user.passwordHash = hash
                try store.saveUser(user)
                return true
            }
            guard changed else { throw ConsoleError.notFound("no user \(name)") }
            await audit(caller, .userPassword, name)
            return Response(status: .noContent)
        }
    }

    static func checkPassword(_ password: String) throws {
        guard password.count >= 8 else {
            throw ConsoleError(.unprocessableContent, "a password needs at least 8 characters")
        }
    }
}

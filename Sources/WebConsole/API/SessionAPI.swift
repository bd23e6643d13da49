import Foundation
import HTTPServer
import Hummingbird
import HummingbirdBcrypt
import Model
import Reconciler

extension Console {
    struct Credentials: Decodable {
        let user: String
        let password: String
    }

    struct Me: Encodable {
        let user: String
        let role: Role
        let grants: [String]
        let csrfToken: String
    }

    func registerSession(on router: Router<ServerContext>) {
        router.post("api/v1/login") { request, context -> Response in
            let credentials = try await JSON.decode(Credentials.self, from: request)
            if let seconds = await throttle.wait(for: credentials.user) {
                throw ConsoleError(
                    .tooManyRequests,
                    "too many failed sign-ins for \(credentials.user); try again in \(seconds) s"
                )
            }
            let account = try await blocking { try $0.user(named: credentials.user) }
            // A hash is checked even for an unknown user, so that timing does not tell which names exist.
            let hash = account?.passwordHash ?? "$2b$11$C6UzMDM.H6dfI/f/IKxGhuX.4hM4YhxWNT5qq.NuSMqi5Q6KE5ePC"
            let verified = await Blocking.run { Bcrypt.verify(credentials.password, hash: hash) }
            guard let account, verified else {
                await throttle.failed(credentials.user)
                _ = try? await blocking {
                    try $0.appendAudit(
                        AuditEvent(at: Date(), user: credentials.user, action: .loginFailed, target: "console")
                    )
                }
                throw ConsoleError(.unauthorized, "wrong user name or password")
            }
            await throttle.succeeded(credentials.user)
            let token = sessions.token(user: account.name, expires: Date().addingTimeInterval(Sessions.lifetime))
            let caller = Caller(account: account, token: token)
            await audit(caller, .login, "console")
            var response = JSON.response(me(caller))
            response.setCookie(sessions.cookie(token))
            return response
        }
        router.post("api/v1/logout") { request, context -> Response in
            let caller = try await caller(request, context, may: .read, what: "sign out")
            await audit(caller, .logout, "console")
            var response = Response(status: .noContent)
            response.setCookie(sessions.expiredCookie())
            return response
        }
        router.get("api/v1/me") { request, context -> Response in
            JSON.response(me(try await caller(request, context, may: .read, what: "read")))
        }
        router.get("api/v1/audit") { request, context -> Response in
            _ = try await caller(request, context, may: .read, what: "read the audit")
            let limit = min(1000, max(1, request.uri.queryParameters.get("limit", as: Int.self) ?? 200))
            return JSON.response(try await blocking { try $0.audit(limit: limit) })
        }
    }

    func me(_ caller: Caller) -> Me {
        Me(
            user: caller.account.name,
            role: caller.account.role,
            grants: caller.account.grants.sorted(),
            csrfToken: sessions.csrf(for: caller.token)
        )
    }
}

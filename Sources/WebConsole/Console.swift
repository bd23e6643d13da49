import Crypto
import Foundation
import HTTPServer
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import Model
import Reconciler

/// The web console and its JSON API (`/api/v1`, described by `/api/v1/openapi.json`), mounted
/// on the daemon's HTTP server. Pages are rendered on the server and call the same API, so that
/// no rule lives twice. Every route but the probes and the sign-in page needs a signed-in user;
/// every state-changing request needs the session's CSRF token.
public struct Console: Sendable {
    public typealias Store = any StateStore & ConsoleStore

    let store: Store
    let catalog: PipelineCatalog
    let sessions: Sessions
    let throttle = LoginThrottle()
    let uploadLimit: Int64
    /// Tells the daemon that database pipelines changed, so that it applies them at once.
    let pipelinesEdited: @Sendable () async -> Void
    /// Tells the daemon that a pipeline's ledger changed (retry, forget), so that it looks again.
    let ledgerChanged: @Sendable (String) async -> Void
    let live: LiveState
    /// Peers whose identity header is believed (a reverse proxy that signs users in).
    let trustedProxies: Set<String>
    let identityHeader: HTTPField.Name?

    /// - Parameters:
    ///   - uploadLimit: the largest file accepted by an upload, in bytes.
    ///   - secureCookies: mark the session cookie `Secure` (served over TLS or behind a TLS proxy).
    ///   - trustedProxies: IP addresses whose requests may name their user in `identityHeader`
    ///     (a reverse proxy that authenticates); from anyone else the header is ignored.
    public init(
        store: Store,
        pipelinesFolder: String,
        uploadLimit: Int64,
        secureCookies: Bool,
        trustedProxies: [String] = [],
        identityHeader: String = "X-Forwarded-User",
        pipelinesEdited: @escaping @Sendable () async -> Void,
        ledgerChanged: @escaping @Sendable (String) async -> Void
    ) throws {
        self.ledgerChanged = ledgerChanged
        self.trustedProxies = Set(trustedProxies)
        self.identityHeader = HTTPField.Name(identityHeader)
        self.store = store
        catalog = PipelineCatalog(store: store, gitFolder: pipelinesFolder)
        let secret = try store.serverSecret("session-key") {
            SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
        }
        sessions = Sessions(
            key: SymmetricKey(data: Data(base64Encoded: secret) ?? Data(secret.utf8)),
            secureCookies: secureCookies
        )
        self.uploadLimit = uploadLimit
        self.pipelinesEdited = pipelinesEdited
        live = LiveState(store: store, pipelinesFolder: pipelinesFolder)
    }

    /// Adds the console's pages and API to `router`.
    public func register(on router: Router<ServerContext>) {
        registerSession(on: router)
        registerPipelines(on: router)
        registerFiles(on: router)
        registerUpload(on: router)
        registerControl(on: router)
        registerEvents(on: router)
        registerPages(on: router)
        router.get("api/v1/openapi.json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json))
            )
        }
    }

    // MARK: Who is asking

    /// A signed-in user and the session token the request carried.
    struct Caller: Sendable {
        let account: UserAccount
        let token: String
    }

    /// The caller, when signed in and allowed `permission`; state-changing methods also need
    /// the session's CSRF token. Throws 401, 403 with what was refused.
    func caller(
        _ request: Request,
        _ context: ServerContext,
        may permission: Role.Permission,
        what: String
    ) async throws -> Caller {
        let token: String
        let name: String
        if let proxied = proxiedUser(request, context) {
            // A static per-user token still defeats CSRF: another site cannot read it.
            (token, name) = ("proxy:" + proxied, proxied)
        } else if let cookie = request.cookies[Sessions.cookieName]?.value, let user = sessions.user(fromToken: cookie)
        {
            (token, name) = (cookie, user)
        } else {
            throw ConsoleError.unauthorized
        }
        guard let account = try await Blocking.run({ [store] in try store.user(named: name) }) else {
            throw ConsoleError.unauthorized
        }
        if request.method != .get && request.method != .head {
            guard let sent = request.headers[HTTPField.Name("X-CSRF-Token")!],
                Sessions.constantTimeEqual(sent, sessions.csrf(for: token))
            else { throw ConsoleError(.forbidden, "missing or wrong CSRF token (X-CSRF-Token); reload the page") }
        }
        guard account.allows(permission) else { throw ConsoleError.forbidden(what) }
        return Caller(account: account, token: token)
    }

    /// The user named by the identity header, when the request comes from a trusted proxy.
    private func proxiedUser(_ request: Request, _ context: ServerContext) -> String? {
        guard let identityHeader, !trustedProxies.isEmpty, let peer = context.remoteAddress?.ipAddress,
            trustedProxies.contains(peer), let user = request.headers[identityHeader], UserAccount.isValidName(user)
        else { return nil }
        return user
    }

    /// Runs store work off the cooperative pool (SQLite calls block).
    func blocking<T: Sendable>(_ work: @escaping @Sendable (Store) throws -> T) async throws -> T {
        let store = self.store
        return try await Blocking.run { try work(store) }
    }

    func audit(_ caller: Caller, _ action: AuditEvent.Action, _ target: String, _ detail: String = "") async {
        let catalog = self.catalog
        let user = caller.account.name
        await Blocking.run { catalog.audit(user: user, action, target, detail) }
    }
}

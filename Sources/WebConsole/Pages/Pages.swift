import Foundation
import HTTPServer
import HTTPTypes
import Hummingbird
import Model
import Mustache
import Reconciler

extension Console {
    static let templates: MustacheLibrary = {
        var library = MustacheLibrary()
        let all: [(String, String)] = [
            ("layout", Templates.layout), ("login", Templates.login), ("pipelines", Templates.pipelines),
            ("pipeline", Templates.pipeline), ("new", Templates.newPipeline), ("audit", Templates.audit),
            ("users", Templates.users),
        ]
        for (name, text) in all {
            // The templates are constants of this file: a parse error is a bug caught by the tests.
            try? library.register(text, named: name)
        }
        return library
    }()

    /// The server-rendered pages. Each needs a session; without one, the browser is sent to sign in.
    func registerPages(on router: Router<ServerContext>) {
        router.get("login") { _, _ in html(Console.templates.render([String: String](), withTemplate: "login") ?? "") }
        router.get("/") { request, context -> Response in
            try await page(request, context, title: "Pipelines", body: "pipelines", script: Templates.pipelinesScript)
        }
        router.get("new") { request, context -> Response in
            try await page(request, context, title: "New pipeline", body: "new", script: Templates.newPipelineScript)
        }
        router.get("users") { request, context -> Response in
            try await page(request, context, title: "Users", body: "users", script: Templates.usersScript)
        }
        router.get("audit") { request, context -> Response in
            try await page(request, context, title: "Audit", body: "audit", script: Templates.auditScript)
        }
        router.get("pipelines/:name") { request, context -> Response in
            let name = try context.parameters.require("name")
            guard let signedIn = try await signedIn(request, context) else { return redirectToLogin() }
            let detail = try await self.detail(name)
            // What the page's script needs, as JSON in an attribute (decoded by the browser):
            // no value is ever spliced into script text.
            struct PageData: Encodable {
                let name: String
                let version: Int?
                let `operator`: Bool
                let admin: Bool
            }
            let data = PageData(
                name: name,
                version: detail.summary.version,
                operator: signedIn.account.allows(.operate),
                admin: signedIn.account.allows(.editPipelines)
            )
            let values: [String: Any] = [
                "name": name, "text": detail.text, "file": detail.summary.file, "editable": detail.editable,
                "admin": data.admin, "uploader": signedIn.account.allows(.upload(pipeline: name)),
                "pageJSON": String(decoding: try JSONEncoder().encode(data), as: UTF8.self),
            ]
            let script = Templates.pipelineScript
            return render(
                signedIn,
                title: name,
                body: Console.templates.render(values, withTemplate: "pipeline") ?? "",
                script: script
            )
        }
    }

    private func signedIn(_ request: Request, _ context: ServerContext) async throws -> Caller? {
        do { return try await caller(request, context, may: .read, what: "read") } catch let error as ConsoleError
            where error.status == .unauthorized
        { return nil }
    }

    private func page(
        _ request: Request,
        _ context: ServerContext,
        title: String,
        body: String,
        script: String
    ) async throws -> Response {
        guard let signedIn = try await signedIn(request, context) else { return redirectToLogin() }
        return render(
            signedIn,
            title: title,
            body: Console.templates.render([String: String](), withTemplate: body) ?? "",
            script: script
        )
    }

    private func render(_ caller: Caller, title: String, body: String, script: String) -> Response {
        let values: [String: Any] = [
            "title": title, "body": body, "script": script, "user": caller.account.name,
            "role": caller.account.role.rawValue, "csrf": sessions.csrf(for: caller.token),
            "admin": caller.account.allows(.editPipelines),
        ]
        return html(Console.templates.render(values, withTemplate: "layout") ?? "")
    }

    private func redirectToLogin() -> Response {
        Response(status: .seeOther, headers: [.location: "/login"])
    }
}

/// An HTML page that no other site may frame, with a policy that allows only this origin's
/// scripts and styles (the inline ones the pages carry) and connections.
func html(_ text: String) -> Response {
    Response(
        status: .ok,
        headers: [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            HTTPField.Name("X-Frame-Options")!: "DENY",
            HTTPField.Name("Content-Security-Policy")!:
                "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        ],
        body: ResponseBody(byteBuffer: ByteBuffer(string: text))
    )
}

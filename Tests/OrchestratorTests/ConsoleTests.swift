import Foundation
import Glibc
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The console's API against a real daemon: sign-in, roles, CSRF, a database pipeline created,
/// refused when invalid (located errors), applied without restart, an upload followed to
/// `succeeded`, hostile uploads refused with nothing written, the audit trail.
@Suite("Web console API")
struct ConsoleTests {
    /// A signed-in (or not) client of one daemon.
    struct Client {
        /// No shared cookie jar: each client sends its own session cookie and nothing else.
        static let session: URLSession = {
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpCookieStorage = nil
            configuration.httpShouldSetCookies = false
            return URLSession(configuration: configuration)
        }()

        let base: String
        var cookie: String?
        var csrf: String?

        func call(
            _ method: String,
            _ path: String,
            json: Any? = nil,
            body: Data? = nil,
            csrf sendCSRF: Bool = true
        ) async throws -> (status: Int, json: Any?, text: String) {
            var request = URLRequest(url: URL(string: base + path)!)
            request.httpMethod = method
            if let cookie { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
            if sendCSRF, let csrf { request.setValue(csrf, forHTTPHeaderField: "X-CSRF-Token") }
            if let json {
                request.httpBody = try JSONSerialization.data(withJSONObject: json)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            } else if let body {
                request.httpBody = body
            }
            let (data, response) = try await Client.session.data(for: request)
            let text = String(decoding: data, as: UTF8.self)
            return ((response as! HTTPURLResponse).statusCode, try? JSONSerialization.jsonObject(with: data), text)
        }

        mutating func login(_ user: String, _ password: String) async throws -> Int {
            var request = URLRequest(url: URL(string: base + "/api/v1/login")!)
            request.httpMethod = "POST"
            request.httpBody = try JSONSerialization.data(withJSONObject: ["user": user, "password": password])
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            let (data, response) = try await Client.session.data(for: request)
            let http = response as! HTTPURLResponse
            if http.statusCode == 200 {
                let setCookie = try #require(http.value(forHTTPHeaderField: "Set-Cookie"))
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
                cookie = String(setCookie.split(separator: ";")[0])
                csrf = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["csrf_token"] as? String
            }
            return http.statusCode
        }
    }

    static func manifest(_ name: String, path: String) -> String {
        """
        apiVersion: orchestrator/v1
        kind: Pipeline
        metadata: {name: \(name)}
        spec:
          watch: {path: \(path), settle: 0s, include: ["*.csv"]}
          run: {command: ["/bin/sh", "-c", "grep -q fail \\"$0\\" && exit 3 || exit 0", "${file}"]}

        """
    }

    @Test func signInCreateUploadAndAudit() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        for (user, role) in [("ada", "admin"), ("vic", "viewer")] {
            let added = try await workspace.run(["users", "add", user, "--role", role], input: "password-\(user)\n")
            #expect(added.status == 0, "\(added.stderr)")
        }
        let daemon = try await DaemonProcess.start(workspace, arguments: ["--upload-limit", "1"])
        let port = try await daemon.httpPort()
        var admin = Client(base: "http://127.0.0.1:\(port)")

        #expect(try await admin.call("GET", "/api/v1/pipelines").status == 401)
        #expect(try await admin.call("GET", "/healthz").status == 200)
        #expect(try await admin.login("ada", "wrong password") == 401)
        #expect(try await admin.login("ada", "password-ada") == 200)

        // Invalid: a relative path, located at its line and column.
        let relative = Self.manifest("sales", path: "data/in")
        let refused = try await admin.call("PUT", "/api/v1/pipelines/sales", json: ["text": relative])
        #expect(refused.status == 422)
        let diagnostics = (refused.json as? [String: Any])?["diagnostics"] as? [[String: Any]] ?? []
        #expect(
            diagnostics.first?["line"] as? Int == 5 && diagnostics.first?["column"] as? Int == 17,
            "\(refused.text)"
        )

        let valid = Self.manifest("sales", path: workspace.path("data/in"))
        #expect(
            try await admin.call("PUT", "/api/v1/pipelines/sales", json: ["text": valid], csrf: false).status == 403
        )
        let preview = try await admin.call("POST", "/api/v1/pipelines/sales/check", json: ["text": valid])
        #expect(preview.status == 200 && preview.text.contains("will be created"), "\(preview.text)")
        #expect(try await admin.call("PUT", "/api/v1/pipelines/sales", json: ["text": valid]).status == 201)
        #expect(
            try await admin.call("PUT", "/api/v1/pipelines/sales", json: ["text": valid, "based_on": 7]).status == 409
        )

        // Applied by the running daemon, without restart.
        let deadline = ContinuousClock.now + .seconds(20)
        var ready = false
        while !ready, ContinuousClock.now < deadline {
            let list = try await admin.call("GET", "/api/v1/pipelines").json as? [[String: Any]] ?? []
            ready = list.first { $0["name"] as? String == "sales" }?["ready"] as? Bool == true
            if !ready { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(ready, "the database pipeline was not applied: \(daemon.log)")

        // An upload, followed to its outcome.
        let upload = try await admin.call(
            "PUT",
            "/api/v1/pipelines/sales/upload/Q1%20%C3%A9t%C3%A9.csv",
            body: Data("a,b\n1,2\n".utf8)
        )
        #expect(upload.status == 201, "\(upload.text)")
        let sha = try #require((upload.json as? [String: Any])?["sha256"] as? String)
        var state = ""
        while state != "succeeded", ContinuousClock.now < deadline + .seconds(20) {
            let file = try await admin.call("GET", "/api/v1/pipelines/sales/files/\(sha)")
            state = ((file.json as? [String: Any])?["file"] as? [String: Any])?["state"] as? String ?? ""
            if state != "succeeded" { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(state == "succeeded")
        for query in ["search=q1%20%C3%A9", "search=\(sha.prefix(8))", "state=succeeded", "search=zzz&state=failed"] {
            let page = try await admin.call("GET", "/api/v1/pipelines/sales/files?\(query)")
            let total = (page.json as? [String: Any])?["total"] as? Int
            #expect(total == (query.contains("zzz") ? 0 : 1), "\(query): \(page.text)")
        }
        #expect(try await admin.call("GET", "/api/v1/pipelines/sales/files?state=bogus").status == 400)

        // Hostile or oversized uploads: refused, nothing written.
        for name in [".hidden.csv", "a%01b.csv", "notes.txt", "..%2Fescape.csv", "%2E%2E%2Fx.csv"] {
            let hostile = try await admin.call("PUT", "/api/v1/pipelines/sales/upload/\(name)", body: Data("x\n".utf8))
            #expect(hostile.status == 422, "\(name): \(hostile.text)")
        }
        let big = try await admin.call(
            "PUT",
            "/api/v1/pipelines/sales/upload/big.csv",
            body: Data(repeating: 65, count: 2 << 20)
        )
        #expect(big.status == 413, "\(big.text)")
        let left = try FileManager.default.contentsOfDirectory(atPath: workspace.path("data/in"))
        #expect(left.sorted() == ["Q1 été.csv"], "only the accepted upload is in the folder: \(left)")
        #expect(
            try await admin.call(
                "PUT",
                "/api/v1/pipelines/sales/upload/Q1%20%C3%A9t%C3%A9.csv",
                body: Data("other\n".utf8)
            ).status
                == 409
        )

        // Suspended from the console: Not ready, for every command; resumed.
        #expect(try await admin.call("POST", "/api/v1/pipelines/sales/suspend").status == 204)
        let suspended = try await admin.call("GET", "/api/v1/pipelines/sales")
        #expect(
            suspended.text.contains("\"reason\":\"Suspended\"") && suspended.text.contains("by ada"),
            "\(suspended.text)"
        )
        #expect(try await admin.call("POST", "/api/v1/pipelines/sales/resume").status == 204)

        // Users managed by an admin; a new password is checked.
        let weak = try await admin.call(
            "POST",
            "/api/v1/users",
            json: ["name": "upl", "role": "uploader", "password": "short"]
        )
        #expect(weak.status == 422)
        let added = try await admin.call(
            "POST",
            "/api/v1/users",
            json: ["name": "upl", "role": "uploader", "password": "password-upl", "grants": ["sales"]]
        )
        #expect(added.status == 201, "\(added.text)")
        var uploader = Client(base: admin.base)
        #expect(try await uploader.login("upl", "password-upl") == 200)
        #expect(try await uploader.call("GET", "/api/v1/users").status == 403)
        let granted = try await uploader.call("PUT", "/api/v1/pipelines/sales/upload/q2.csv", body: Data("x,y\n".utf8))
        #expect(granted.status == 201, "an uploader uploads to its granted pipeline: \(granted.text)")
        #expect(try await uploader.call("POST", "/api/v1/pipelines/sales/suspend").status == 403)

        // A viewer reads but cannot edit.
        var viewer = Client(base: admin.base)
        #expect(try await viewer.login("vic", "password-vic") == 200)
        #expect(try await viewer.call("GET", "/api/v1/pipelines/sales").status == 200)
        let forbidden = try await viewer.call("PUT", "/api/v1/pipelines/sales", json: ["text": valid, "based_on": 1])
        #expect(forbidden.status == 403 && forbidden.text.contains("edit pipelines"))

        // The same name in git: an error on both, shown by the API and the CLI.
        try workspace.write("pipelines/sales.yaml", Self.manifest("sales", path: "../data/in"))
        let listed = try await workspace.run(["pipelines", "list"])
        #expect(listed.stdout.contains("sales\tdatabase v1\tinvalid") && listed.stdout.contains("sales\tgit "))
        let audit = try await admin.call("GET", "/api/v1/audit").text
        for action in ["\"login\"", "\"login-failed\"", "\"create\"", "\"upload\""] {
            #expect(audit.contains(action), "\(action) in the audit: \(audit)")
        }
        let openAPI = try await admin.call("GET", "/api/v1/openapi.json")
        #expect(openAPI.status == 200 && openAPI.text.contains("\"/api/v1/pipelines/{name}/upload/{filename}\""))
        #expect(try await daemon.stop() == 0)
    }

    @Test func cliPipelinesVersionsHistoryExportAndRollback() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.write(
            "import/two.yaml",
            Self.manifest("one", path: "/srv/a") + "---\n" + Self.manifest("two", path: "/srv/b")
        )
        let imported = try await workspace.run(["pipelines", "import", "import/two.yaml", "--author", "ops"])
        #expect(
            imported.status == 0 && imported.stdout.contains("one: version 1")
                && imported.stdout.contains("two: version 1"),
            "\(imported)"
        )
        try workspace.write("import/one.yaml", Self.manifest("one", path: "/srv/changed"))
        #expect(try await workspace.run(["pipelines", "import", "import/one.yaml"]).stdout.contains("one: version 2"))
        let history = try await workspace.run(["pipelines", "history", "one"])
        #expect(
            history.stdout.contains("version 2") && history.stdout.contains("-  watch: {path: /srv/a"),
            "\(history.stdout)"
        )
        #expect(history.stdout.contains("+  watch: {path: /srv/changed"))
        #expect(try await workspace.run(["pipelines", "rollback", "one", "1"]).status == 0)
        #expect(try await workspace.run(["pipelines", "show", "one"]).stdout.contains("/srv/a"))
        #expect(try await workspace.run(["pipelines", "delete", "two"]).status == 0)
        let exported = try await workspace.run(["pipelines", "export", "-o", "exported"])
        #expect(exported.status == 0 && workspace.exists("exported/one.yaml") && !workspace.exists("exported/two.yaml"))
        #expect(try await workspace.run(["pipelines", "export", "-o", "exported"]).status == 1, "no overwrite")
        let missing = try await workspace.run(["pipelines", "import", "no-such-file.yaml"])
        #expect(missing.status == 1)
        try workspace.write("bad.yaml", Self.manifest("bad", path: "relative/folder"))
        let bad = try await workspace.run(["pipelines", "import", "bad.yaml"])
        #expect(bad.status == 1 && bad.stderr.contains("db:bad:5:17: error: spec.watch.path"), "\(bad.stderr)")
        let plan = try await workspace.run(["plan"])
        #expect(plan.stdout.contains("+ pipeline one (db:one)"), "\(plan.stdout)")
        let validated = try await workspace.run(["validate", "pipelines"])
        #expect(
            validated.stdout.contains("1 pipeline valid"),
            "validate covers database pipelines: \(validated.stdout)"
        )
    }
}

@Suite("Web console: other ways in")
struct ConsoleAccessTests {
    @Test func aCLIChangeReachesTheRunningDaemonAndOnlyATrustedProxyNamesTheUser() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        #expect(
            try await workspace.run(["users", "add", "ada", "--role", "admin"], input: "password-ada\n").status == 0
        )

        let untrusting = try await DaemonProcess.start(workspace, arguments: ["--trust-proxy", "10.9.9.9"])
        var anonymous = ConsoleTests.Client(base: "http://127.0.0.1:\(try await untrusting.httpPort())")
        var request = URLRequest(url: URL(string: anonymous.base + "/api/v1/me")!)
        request.setValue("ada", forHTTPHeaderField: "X-Forwarded-User")
        let (_, ignored) = try await ConsoleTests.Client.session.data(for: request)
        #expect((ignored as! HTTPURLResponse).statusCode == 401, "the header is ignored from an untrusted peer")
        #expect(try await untrusting.stop() == 0)

        let daemon = try await DaemonProcess.start(workspace, arguments: ["--trust-proxy", "127.0.0.1"])
        anonymous = ConsoleTests.Client(base: "http://127.0.0.1:\(try await daemon.httpPort())")
        request = URLRequest(url: URL(string: anonymous.base + "/api/v1/me")!)
        request.setValue("ada", forHTTPHeaderField: "X-Forwarded-User")
        let (me, trusted) = try await ConsoleTests.Client.session.data(for: request)
        #expect(
            (trusted as! HTTPURLResponse).statusCode == 200 && String(decoding: me, as: UTF8.self).contains("\"ada\"")
        )
        request.setValue("nobody", forHTTPHeaderField: "X-Forwarded-User")
        let (_, unknown) = try await ConsoleTests.Client.session.data(for: request)
        #expect((unknown as! HTTPURLResponse).statusCode == 401, "a proxy can only name an existing user")

        // Another process writes the database: the daemon applies it without a restart.
        try workspace.write(
            "new/feed.yaml",
            ConsoleTests.manifest("feed", path: workspace.path("data/in")).replacingOccurrences(
                of: "sales",
                with: "feed"
            )
        )
        #expect(try await workspace.run(["pipelines", "import", "new/feed.yaml"]).status == 0)
        try await waitUntil("the daemon applies the imported pipeline") {
            daemon.log.contains("\"manifest\":\"db:feed\"") && daemon.log.contains("pipeline created")
        }
        try workspace.write("data/in/a.csv", "a\n1\n")
        try await waitUntil("the imported pipeline processes a file") { daemon.log.contains("\"path\":\"a.csv\"") }

        var admin = ConsoleTests.Client(base: anonymous.base)
        #expect(try await admin.login("ada", "password-ada") == 200)
        let document = try await admin.call("GET", "/api/v1/openapi.json")
        #expect(document.status == 200)
        if let python = ProcessInfo.processInfo.environment["ORCHESTRATOR_TEST_PYTHON"] {
            try workspace.write("out/openapi.json", document.text)
            let check = try await CLI.runProgram(
                python,
                ["-m", "openapi_spec_validator", workspace.path("out/openapi.json")]
            )
            #expect(check.status == 0, "the OpenAPI document is valid: \(check.stdout)\(check.stderr)")
        }
        let missing = try await admin.call("GET", "/api/v1/pipelines/nope")
        #expect(missing.status == 404 && missing.text.contains("no pipeline nope"))
        let broken = try await admin.call("PUT", "/api/v1/pipelines/feed2", json: ["text": "spec: [unclosed"])
        #expect(broken.status == 422 && broken.text.contains("did not find expected"), "\(broken.text)")
        let notJSON = try await admin.call("PUT", "/api/v1/pipelines/feed2", body: Data("{".utf8))
        #expect(notJSON.status == 400)
        #expect(try await daemon.stop() == 0)
    }
}

@Suite("Web console: every endpoint")
struct ConsoleEndpointTests {
    /// Sends a request by hand on a socket (a body announced as 2 GiB and never sent; an event
    /// stream read as it comes), and reads until `until` has arrived, or 10 s.
    static func raw(port: String, request: String, until: String = "\r\n") throws -> String {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)!).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return "cannot connect" }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = request.withCString { send(socket, $0, strlen($0), 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).contains(until) {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer.prefix(count)
        }
        return String(decoding: received, as: UTF8.self)
    }

    @Test func historyRollbackDeleteRunsForgetUsersEventsAndA2GiBUpload() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        #expect(
            try await workspace.run(["users", "add", "ada", "--role", "admin"], input: "password-ada\n").status == 0
        )
        let daemon = try await DaemonProcess.start(workspace, arguments: ["--upload-limit", "1"])
        let port = try await daemon.httpPort()
        var admin = ConsoleTests.Client(base: "http://127.0.0.1:\(port)")
        #expect(try await admin.login("ada", "password-ada") == 200)
        let folder = workspace.path("data/in")
        let first = ConsoleTests.manifest("feed", path: folder)
        let second = first.replacingOccurrences(of: "settle: 0s", with: "settle: 1s")
        #expect(try await admin.call("PUT", "/api/v1/pipelines/feed", json: ["text": first]).status == 201)
        #expect(
            try await admin.call("PUT", "/api/v1/pipelines/feed", json: ["text": second, "based_on": 1]).status == 200
        )
        let history = try await admin.call("GET", "/api/v1/pipelines/feed/history")
        let versions = history.json as? [[String: Any]] ?? []
        #expect(versions.count == 2 && (versions.last?["diff"] as? String)?.contains("+  watch: {path:") == true)
        #expect(
            try await admin.call("POST", "/api/v1/pipelines/feed/rollback", json: ["version": 1]).text.contains(
                "\"version\":3"
            )
        )
        #expect(try await admin.call("POST", "/api/v1/pipelines/feed/rollback", json: ["version": 9]).status == 404)

        // A 2 GiB upload announced by Content-Length: refused before a byte is read.
        let reply = try Self.raw(
            port: port,
            request: "PUT /api/v1/pipelines/feed/upload/huge.csv HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Cookie: \(admin.cookie!)\r\nX-CSRF-Token: \(admin.csrf!)\r\nContent-Length: 2147483648\r\n\r\nabc"
        )
        #expect(reply.hasPrefix("HTTP/1.1 413"), "\(reply)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)

        // A run, seen in the runs; its content forgotten.
        try workspace.write("data/in/a.csv", "a\n1\n")
        try await waitUntil("the file is processed") { daemon.log.contains("\"path\":\"a.csv\"") }
        let runs = try await admin.call("GET", "/api/v1/pipelines/feed/runs").json as? [[String: Any]] ?? []
        #expect(runs.first?["outcome"] as? String == "succeeded" && runs.first?["exit_code"] as? Int == 0)
        let sha = try #require(runs.first?["sha256"] as? String)
        #expect(try await admin.call("POST", "/api/v1/pipelines/feed/files/\(sha)/forget").status == 204)
        #expect(try await admin.call("POST", "/api/v1/pipelines/feed/files/\(sha)/retry").status != 204)

        // Users and passwords.
        #expect(
            try await admin.call(
                "POST",
                "/api/v1/users",
                json: ["name": "ops", "role": "operator", "password": "password-ops"]
            ).status == 201
        )
        #expect(try await admin.call("GET", "/api/v1/users").text.contains("\"ops\""))
        #expect(
            try await admin.call("PUT", "/api/v1/users/ops/password", json: ["password": "password-new"]).status == 204
        )
        var ops = ConsoleTests.Client(base: admin.base)
        #expect(try await ops.login("ops", "password-ops") == 401)
        #expect(try await ops.login("ops", "password-new") == 200)
        #expect(try await ops.call("DELETE", "/api/v1/pipelines/feed?based_on=3").status == 403)
        let selfRemoval = try await admin.call("DELETE", "/api/v1/users/ada")
        #expect(selfRemoval.status == 409, "an admin cannot remove itself: \(selfRemoval.text)")
        #expect(try await admin.call("DELETE", "/api/v1/users/ops").status == 204)
        #expect(try await ops.call("GET", "/api/v1/me").status == 401, "a removed user's session ends at once")

        // Live events, then a deletion and a sign-out.
        let stream = try Self.raw(
            port: port,
            request: "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: \(admin.cookie!)\r\n\r\n",
            until: "\"name\":\"feed\""
        )
        #expect(stream.contains("text/event-stream") && stream.contains("event: pipelines\ndata: ["), "\(stream)")
        #expect(try await admin.call("DELETE", "/api/v1/pipelines/feed?based_on=1").status == 409, "stale version")
        #expect(try await admin.call("DELETE", "/api/v1/pipelines/feed?based_on=3").status == 204)
        #expect(try await admin.call("GET", "/api/v1/pipelines/feed").status == 404)
        #expect(try await admin.call("POST", "/api/v1/logout").status == 204)
        #expect(try await daemon.stop() == 0)
    }
}

/// The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`. Every route the
/// pages use is here; a test checks each registered route is described.
enum OpenAPIDocument {
    static let paths: [(method: String, path: String, summary: String, body: Bool)] = [
        ("post", "/api/v1/login", "Sign in with a user name and password; sets the session cookie", true),
        ("post", "/api/v1/logout", "Sign out", false),
        ("get", "/api/v1/me", "The signed-in user, its role and the CSRF token", false),
        ("get", "/api/v1/audit", "The latest audit events, newest first (?limit)", false),
        (
            "get", "/api/v1/pipelines", "Every pipeline of both sources with Ready, counts and last run (?label=k=v)",
            false
        ),
        ("get", "/api/v1/pipelines/{name}", "One pipeline: summary, manifest text, diagnostics", false),
        ("put", "/api/v1/pipelines/{name}", "Create (no based_on) or edit a database pipeline", true),
        ("delete", "/api/v1/pipelines/{name}", "Delete a database pipeline (?based_on=version)", false),
        ("post", "/api/v1/pipelines/{name}/check", "Validate a manifest text and preview its plan", true),
        ("get", "/api/v1/pipelines/{name}/history", "Every version with author, time and diff", false),
        ("post", "/api/v1/pipelines/{name}/rollback", "Save an earlier version as the newest", true),
        ("get", "/api/v1/pipelines/{name}/runs", "The latest runs (?limit)", false),
        ("get", "/api/v1/pipelines/{name}/files", "A page of the ledger (?search, state, page, size)", false),
        ("get", "/api/v1/pipelines/{name}/files/{sha256}", "One content: state, names, runs", false),
        (
            "post", "/api/v1/pipelines/{name}/files/{sha256}/retry", "Make a failed or quarantined content due now",
            false
        ),
        (
            "post", "/api/v1/pipelines/{name}/files/{sha256}/forget",
            "Forget a content so that it runs again when seen", false
        ),
        (
            "put", "/api/v1/pipelines/{name}/upload/{filename}", "Upload a file into the pipeline's folder (raw body)",
            true
        ),
        ("post", "/api/v1/pipelines/{name}/suspend", "Suspend a pipeline of either source (operators)", false),
        ("post", "/api/v1/pipelines/{name}/resume", "Resume a pipeline suspended from the console", false),
        ("get", "/api/v1/users", "The console users and their roles (admins)", false),
        ("post", "/api/v1/users", "Add a user: name, role, password, grants (admins)", true),
        ("delete", "/api/v1/users/{user}", "Remove a user (admins)", false),
        ("put", "/api/v1/users/{user}/password", "Set a password (one's own, or any for admins)", true),
        ("get", "/api/v1/events", "Server-Sent Events: `pipelines` with every summary when one changes", false),
    ]

    static let json: String = {
        var grouped: [String: [String]] = [:]
        var order: [String] = []
        for entry in paths {
            if grouped[entry.path] == nil { order.append(entry.path) }
            let parameters = entry.path.split(separator: "/").filter { $0.hasPrefix("{") }.map {
                "{\"name\":\"\($0.dropFirst().dropLast())\",\"in\":\"path\",\"required\":true,\"schema\":{\"type\":\"string\"}}"
            }
            let body =
                entry.body
                ? ",\"requestBody\":{\"required\":true,\"content\":{\"application/json\":{\"schema\":{\"type\":\"object\"}}}}"
                : ""
            let csrf =
                entry.method == "get" || entry.path == "/api/v1/login"
                ? ""
                : ",{\"name\":\"X-CSRF-Token\",\"in\":\"header\",\"required\":true,\"schema\":{\"type\":\"string\"}}"
            grouped[entry.path, default: []].append(
                "\"\(entry.method)\":{\"summary\":\"\(entry.summary.replacingOccurrences(of: "\"", with: "'"))\","
                    + "\"parameters\":[\(parameters.joined(separator: ","))\(parameters.isEmpty ? String(csrf.dropFirst()) : csrf)]\(body),"
                    + "\"responses\":{\"200\":{\"description\":\"done\"},\"401\":{\"$ref\":\"#/components/responses/Error\"},"
                    + "\"403\":{\"$ref\":\"#/components/responses/Error\"},\"422\":{\"$ref\":\"#/components/responses/Error\"}}}"
            )
        }
        let pathsJSON = order.map { "\"\($0)\":{\(grouped[$0]!.joined(separator: ","))}" }.joined(separator: ",")
        return """
            {"openapi":"3.1.0","info":{"title":"Orchestrator ETL console API","version":"1"},\
            "components":{"securitySchemes":{"session":{"type":"apiKey","in":"cookie","name":"orchestrator_session"}},\
            "responses":{"Error":{"description":"refused","content":{"application/json":{"schema":{"type":"object",\
            "properties":{"error":{"type":"string"},"diagnostics":{"type":"array","items":{"type":"object"}}},\
            "required":["error"]}}}}}},"security":[{"session":[]}],"paths":{\(pathsJSON)}}
            """
    }()
}

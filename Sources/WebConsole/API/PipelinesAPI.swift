import Foundation
import HTTPServer
import Hummingbird
import Model
import Reconciler

extension Console {
    struct ManifestBody: Decodable {
        let text: String
        /// The version the text was edited from; absent to create.
        let basedOn: Int?
    }

    struct RollbackBody: Decodable { let version: Int }

    struct Detail: Encodable {
        let summary: PipelineSummary
        /// The manifest text: the stored version (database, which holds no secret value) or the
        /// file (git, with literal secret values masked).
        let text: String
        let editable: Bool
        let diagnostics: [Diagnostic]
    }

    struct Check: Encodable {
        let valid: Bool
        let diagnostics: [Diagnostic]
        /// What `plan` would print for this change: field diffs and the files it would process.
        let plan: String
    }

    func registerPipelines(on router: Router<ServerContext>) {
        router.get("api/v1/pipelines") { request, context -> Response in
            _ = try await caller(request, context, may: .read, what: "read")
            var summaries = try await Blocking.run { [live] in try live.summaries() }
            if let label = request.uri.queryParameters.get("label"), !label.isEmpty {
                let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
                summaries = summaries.filter {
                    parts.count == 2 ? $0.labels[parts[0]] == parts[1] : $0.labels[parts[0]] != nil
                }
            }
            return JSON.response(summaries)
        }
        router.get("api/v1/pipelines/:name") { request, context -> Response in
            _ = try await caller(request, context, may: .read, what: "read")
            return JSON.response(try await detail(try context.parameters.require("name")))
        }
        router.post("api/v1/pipelines/:name/check") { request, context -> Response in
            _ = try await caller(request, context, may: .read, what: "check a manifest")
            let name = try context.parameters.require("name")
            let body = try await JSON.decode(ManifestBody.self, from: request)
            return JSON.response(try await check(body.text, name: name))
        }
        router.put("api/v1/pipelines/:name") { request, context -> Response in
            let caller = try await caller(request, context, may: .editPipelines, what: "edit pipelines")
            let name = try context.parameters.require("name")
            let body = try await JSON.decode(ManifestBody.self, from: request)
            let stored = try await changing {
                try $0.save(name: name, text: body.text, author: caller.account.name, basedOn: body.basedOn)
            }
            return JSON.response(try await detail(stored.name), status: body.basedOn == nil ? .created : .ok)
        }
        router.delete("api/v1/pipelines/:name") { request, context -> Response in
            let caller = try await caller(request, context, may: .editPipelines, what: "delete pipelines")
            let name = try context.parameters.require("name")
            let basedOn = request.uri.queryParameters.get("based_on", as: Int.self)
            _ = try await changing { try $0.delete(name: name, author: caller.account.name, basedOn: basedOn) }
            return Response(status: .noContent)
        }
        router.get("api/v1/pipelines/:name/history") { request, context -> Response in
            _ = try await caller(request, context, may: .read, what: "read")
            let name = try context.parameters.require("name")
            return JSON.response(try await changing(apply: false) { try $0.history(name) })
        }
        router.post("api/v1/pipelines/:name/rollback") { request, context -> Response in
            let caller = try await caller(request, context, may: .editPipelines, what: "roll pipelines back")
            let name = try context.parameters.require("name")
            let body = try await JSON.decode(RollbackBody.self, from: request)
            _ = try await changing { try $0.rollback(name: name, to: body.version, author: caller.account.name) }
            return JSON.response(try await detail(name))
        }
        router.get("api/v1/pipelines/:name/runs") { request, context -> Response in
            _ = try await caller(request, context, may: .read, what: "read")
            let name = try context.parameters.require("name")
            let limit = min(500, max(1, request.uri.queryParameters.get("limit", as: Int.self) ?? 50))
            return JSON.response(try await blocking { try $0.runs(pipeline: name, limit: limit) }.map(RunSummary.init))
        }
    }

    /// Runs a catalog change off the pool, maps its refusal to a status, and has the daemon
    /// apply the change at once.
    func changing<T: Sendable>(
        apply: Bool = true,
        _ body: @escaping @Sendable (PipelineCatalog) throws -> T
    ) async throws -> T {
        let catalog = self.catalog
        do {
            let value = try await Blocking.run { try body(catalog) }
            if apply { await pipelinesEdited() }
            return value
        } catch let error as CatalogError {
            throw ConsoleError(error)
        }
    }

    func detail(_ name: String) async throws -> Detail {
        let (live, catalog, folder) = (self.live, self.catalog, catalog.gitFolder)
        return try await Blocking.run {
            guard let summary = try live.summaries().first(where: { $0.name == name }) else {
                throw ConsoleError.notFound("no pipeline \(name)")
            }
            let manifests = try DesiredState.load(folder, database: catalog.store)
            let diagnostics = manifests.documents.filter { $0.name == name }.flatMap(\.diagnostics)
            let text: String
            if summary.source == .database {
                text = try catalog.store.storedPipelines().first { $0.name == name }?.text ?? ""
            } else {
                // A git manifest may write a secret literally (with a warning): it is masked here.
                let file = (try? String(contentsOfFile: summary.file, encoding: .utf8)) ?? ""
                let specs = manifests.documents.filter { $0.file == summary.file }.compactMap(\.pipeline)
                text = Redactor(specs: specs).redact(file)
            }
            return Detail(summary: summary, text: text, editable: summary.source == .database, diagnostics: diagnostics)
        }
    }

    /// Validates `text` as database pipeline `name` and plans it against the live state.
    func check(_ text: String, name: String) async throws -> Check {
        let (catalog, store) = (self.catalog, self.store)
        return try await Blocking.run {
            let diagnostics = catalog.check(text, name: name)
            guard !diagnostics.hasErrors else { return Check(valid: false, diagnostics: diagnostics, plan: "") }
            let manifests = ManifestSet(documents: StoredPipeline.validate(text, name: name))
            var plan = try StateSnapshot(manifests: manifests, store: store, now: Date(), allowEmpty: true).plan
            plan.pipelines = plan.pipelines.filter { $0.name == name }
            plan.diagnostics = plan.diagnostics.filter { $0.file == ManifestSource.databaseLabel(name) }
            return Check(valid: true, diagnostics: diagnostics, plan: PlanText.render(plan))
        }
    }
}

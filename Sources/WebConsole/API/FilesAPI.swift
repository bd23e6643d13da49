import Foundation
import HTTPServer
import Hummingbird
import Model
import Reconciler

extension Console {
    struct FileRow: Encodable {
        let sha256: String
        let state: String
        let path: String
        let names: [String]?
        let attempts: Int
        let firstSeen: Date
        let lastSeen: Date
        let nextAttemptAt: Date?
        let lastExitCode: Int?
        let lastError: String?

        init(_ entry: LedgerEntry, names: [String]? = nil) {
            sha256 = entry.sha256
            state = entry.state.rawValue
            path = entry.path.jsonDisplay
            self.names = names?.map(\.jsonDisplay)
            attempts = entry.attempts
            firstSeen = entry.firstSeen
            lastSeen = entry.lastSeen
            nextAttemptAt = entry.nextAttemptAt
            lastExitCode = entry.lastExitCode
            lastError = entry.lastError
        }
    }

    struct FilePage: Encodable {
        let total: Int
        let page: Int
        let size: Int
        let files: [FileRow]
    }

    struct FileDetail: Encodable {
        let file: FileRow
        let runs: [RunSummary]
    }

    func registerFiles(on router: Router<ServerContext>) {
        router.get("api/v1/pipelines/:name/files") { request, context -> Response in
            _ = try await caller(request, context, may: .read, what: "read")
            let name = try context.parameters.require("name")
            let query = request.uri.queryParameters
            let page = max(1, query.get("page", as: Int.self) ?? 1)
            let size = min(500, max(1, query.get("size", as: Int.self) ?? 50))
            let raw = query.get("state") ?? ""
            let state = LedgerState(rawValue: raw)
            if !raw.isEmpty, state == nil {
                throw ConsoleError(.badRequest, "unknown state \(raw); one of \(LedgerState.allCases.map(\.rawValue))")
            }
            let search = query.get("search")
            let result = try await blocking {
                try $0.ledgerPage(pipeline: name, search: search, state: state, offset: (page - 1) * size, limit: size)
            }
            return JSON.response(
                FilePage(total: result.total, page: page, size: size, files: result.entries.map { FileRow($0) })
            )
        }
        router.get("api/v1/pipelines/:name/files/:sha256") { request, context -> Response in
            _ = try await caller(request, context, may: .read, what: "read")
            let name = try context.parameters.require("name")
            let sha = try context.parameters.require("sha256")
            let detail = try await blocking { store -> FileDetail? in
                guard let entry = try store.ledger(pipeline: name, sha256s: [sha])[sha] else { return nil }
                let runs = try store.runs(pipeline: name, limit: 500).filter { $0.sha256 == sha }.prefix(20)
                return FileDetail(
                    file: FileRow(entry, names: try store.names(pipeline: name, sha256: sha)),
                    runs: runs.map(RunSummary.init)
                )
            }
            guard let detail else { throw ConsoleError.notFound("no content \(sha) in pipeline \(name)") }
            return JSON.response(detail)
        }
        router.post("api/v1/pipelines/:name/files/:sha256/retry") { request, context -> Response in
            let caller = try await caller(request, context, may: .operate, what: "retry contents")
            let name = try context.parameters.require("name")
            let sha = try context.parameters.require("sha256")
            let count = try await blocking { try $0.retry(pipeline: name, sha256: sha, at: Date()) }
            guard count > 0 else { throw ConsoleError(.conflict, "content \(sha) is not failed or quarantined") }
            await audit(caller, .retry, "\(name)/\(sha)")
            await ledgerChanged(name)
            return Response(status: .noContent)
        }
        router.post("api/v1/pipelines/:name/files/:sha256/forget") { request, context -> Response in
            let caller = try await caller(request, context, may: .operate, what: "forget contents")
            let name = try context.parameters.require("name")
            let sha = try context.parameters.require("sha256")
            guard try await blocking({ try $0.forget(pipeline: name, sha256: sha) }) else {
                throw ConsoleError(.conflict, "content \(sha) is unknown or running")
            }
            await audit(caller, .forget, "\(name)/\(sha)")
            await ledgerChanged(name)
            return Response(status: .noContent)
        }
    }
}

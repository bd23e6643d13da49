import Foundation
import Model
import Testing

@Suite("Database pipelines, roles and uploads (pure rules)")
struct ConsoleModelTests {
    static func text(_ name: String, path: String) -> String {
        "apiVersion: orchestrator/v1\nkind: Pipeline\nmetadata: {name: \(name)}\nspec:\n  watch: {path: \(path)}\n  run: {command: [\"true\"]}\n"
    }

    @Test func storedManifestsFollowTheDatabaseRules() {
        #expect(StoredPipeline.validate(Self.text("a", path: "/srv/a"), name: "a").allSatisfy { $0.isValid })
        let relative = StoredPipeline.validate(Self.text("a", path: "in"), name: "a").flatMap(\.diagnostics)
        #expect(
            relative.map(\.description) == [
                "db:a:5:17: error: spec.watch.path: a database pipeline needs an absolute path (it has no manifest folder to be relative to)"
            ]
        )
        let renamed = StoredPipeline.validate(Self.text("b", path: "/srv/a"), name: "a").flatMap(\.diagnostics)
        #expect(renamed.first?.message.contains("differs from the stored pipeline's name") == true)
        let two = StoredPipeline.validate(Self.text("a", path: "/x") + "---\n" + Self.text("a", path: "/y"), name: "a")
        #expect(two.contains { !$0.isValid })
        #expect(StoredPipeline.validate("", name: "a").first?.diagnostics.first?.message == "the manifest is empty")
    }

    @Test func aNameInGitAndTheDatabaseIsAnErrorOnBoth() {
        let git = ManifestDocument.parse(Self.text("a", path: "in"), file: "pipelines/a.yaml")
        let database = StoredPipeline(
            name: "a",
            version: 3,
            text: Self.text("a", path: "/srv/a"),
            author: "x",
            savedAt: Date()
        )
        let set = ManifestSet(documents: git + database.documents())
        #expect(set.pipelines.isEmpty)
        #expect(
            set.documents.allSatisfy {
                $0.diagnostics.contains { $0.message.contains("declared both in git and in the database") }
            }
        )
        let sameSource = ManifestSet(
            documents: git + ManifestDocument.parse(Self.text("a", path: "in"), file: "pipelines/b.yaml")
        )
        #expect(sameSource.pipelines.count == 1, "within git the first keeps its pipeline, as before")
    }

    @Test func diffsAreUnifiedByLine() {
        #expect(LineDiff.unified(from: "a\nb\nc\n", to: "a\nb\nc\n").isEmpty)
        #expect(LineDiff.unified(from: "a\nb\nc\n", to: "a\nB\nc\n") == "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n")
        #expect(LineDiff.unified(from: "", to: "x\n") == "@@ -0,0 +1,1 @@\n+x\n")
    }

    @Test func uploadNamesAreNeverPaths() {
        for bad in [
            "", ".env", "../x.csv", "a/b.csv", "a\\b.csv", "a\u{1}b.csv", "a\u{7F}.csv",
            String(repeating: "x", count: 256),
        ] {
            #expect(UploadName.problem(bad) != nil, "\(bad.debugDescription)")
        }
        #expect(UploadName.problem("Ventes été 2026.csv") == nil)
    }

    @Test func rolesGrantWhatTheyName() {
        let uploader = UserAccount(name: "u", role: .uploader, passwordHash: "", grants: ["sales"])
        #expect(uploader.allows(.upload(pipeline: "sales")) && !uploader.allows(.upload(pipeline: "hr")))
        #expect(!uploader.allows(.operate) && !Role.viewer.allows(.upload(pipeline: "sales")))
        #expect(Role.operator.allows(.operate) && !Role.operator.allows(.editPipelines))
        #expect(Role.admin.allows(.manageUsers))
        #expect(
            UserAccount.isValidName("ops.team-1@site") && !UserAccount.isValidName("é")
                && !UserAccount.isValidName("a b")
        )
    }
}

@Suite("Database pipelines hold no secret value")
struct StoredSecretTests {
    @Test func aLiteralSecretIsRefusedAtItsKey() {
        let text = """
            apiVersion: orchestrator/v1
            kind: Pipeline
            metadata: {name: a}
            spec:
              watch: {path: /srv/a}
              run:
                command: ["true"]
                env:
                  ES_PASSWORD: hunter22
                  ES_TOKEN: {fromEnv: ES_TOKEN}

            """
        let errors = StoredPipeline.validate(text, name: "a").flatMap(\.diagnostics).filter { $0.severity == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.description.hasPrefix("db:a:9:20: error: spec.run.env.ES_PASSWORD:") == true, "\(errors)")
    }
}

import Model
import Testing

/// A `fromEnv` secret written into argv is readable by every local user with `ps`: a warning,
/// located at the template, whether the reference is direct or through another env key.
@Suite("Secrets in argv")
struct SecretExposureTests {
    private func warnings(_ run: String) -> [String] {
        let text = """
            apiVersion: orchestrator/v1
            kind: Pipeline
            metadata: {name: a}
            spec:
              watch: {path: in}
              run:
            \(run)
            """
        let documents = ManifestDocument.parse(text, file: "a.yaml")
        #expect(documents.count == 1 && documents[0].isValid)
        return documents.flatMap(\.diagnostics).filter { $0.severity == .warning }.map(\.description)
    }

    @Test func directAndIndirectReferencesInTheCommandWarn() {
        let found = warnings(
            """
                command: [curl, -u, "u:${TOKEN}", "${URL}", "${PLAIN}", "${file}"]
                env: {TOKEN: {fromEnv: API_TOKEN}, URL: "https://x/?t=${MID}", MID: "${TOKEN}", PLAIN: p}
            """
        )
        #expect(
            found == [
                "a.yaml:7:25: warning: spec.run.command[2]: ${TOKEN} puts a secret from fromEnv on the command line, where any local user can read it with ps; let the command read TOKEN from its environment instead (every run.env key is set for the run)",
                "a.yaml:7:39: warning: spec.run.command[3]: ${URL} puts a secret from fromEnv on the command line, where any local user can read it with ps; let the command read URL from its environment instead (every run.env key is set for the run)",
            ]
        )
    }

    @Test func containerArgumentsWarn() {
        let found = warnings(
            """
                container: {image: etl, args: ["--password=${PW}"]}
                env: {PW: {fromEnv: ES_PASSWORD}}
            """
        )
        #expect(found.count == 1)
        #expect(found.first?.contains("spec.run.container.args[0]: ${PW} puts a secret") == true)
    }

    @Test func secretsOnlyInTheEnvironmentAreQuiet() {
        #expect(
            warnings(
                """
                    command: [load.sh, "${file}", "${HOST}"]
                    env: {PW: {fromEnv: ES_PASSWORD}, URL: "https://u:${PW}@x", HOST: localhost}
                """
            ).isEmpty
        )
    }
}

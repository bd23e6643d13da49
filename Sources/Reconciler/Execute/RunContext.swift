import Foundation
import Model

/// Everything one run's templates and environment are made of, resolved.
struct RunContext: Sendable {
    let pipeline: Pipeline
    let runID: String
    /// Absolute path of the file, and its path relative to `watch.path`.
    let file: String
    let relativePath: String
    let sha256: String
    let envFile: String

    /// The child's environment, in order: the orchestrator's PATH, HOME, LANG, LC_*, TZ, then
    /// `run.env` (secrets read from the orchestrator's environment now), then `ORCHESTRATOR_*`.
    func environment(parent: [String: String], resolved: [(String, String)]) -> [(String, String)] {
        var result: [(String, String)] =
            parent
            .filter { RunContext.isInherited($0.key) }
            .sorted { $0.key < $1.key }
            .map { ($0.key, $0.value) }
        result += resolved
        return result + orchestratorVariables
    }

    /// The variables of the orchestrator's own environment that a command gets.
    private static func isInherited(_ name: String) -> Bool {
        switch name {
        case "PATH", "HOME", "LANG", "TZ": return true
        default: return name.hasPrefix("LC_")
        }
    }

    /// `ORCHESTRATOR_*`: what this run is about.
    private var orchestratorVariables: [(String, String)] {
        [
            ("ORCHESTRATOR_FILE", file), ("ORCHESTRATOR_FILE_SHA256", sha256), ("ORCHESTRATOR_PIPELINE", pipeline.name),
            ("ORCHESTRATOR_RUN_ID", runID),
        ]
    }

    /// The environment of a container client (`docker`, `podman`): the variables that configure
    /// it, from the orchestrator's own environment (`DOCKER_HOST`, `DOCKER_CONFIG`,
    /// `CONTAINERS_CONF`, `CONTAINER_HOST`, `XDG_RUNTIME_DIR`, proxies…), then `ORCHESTRATOR_*`.
    /// Not `run.env`: the container gets that through the env file, and the client has no use for
    /// the secrets in it.
    func clientEnvironment(parent: [String: String]) -> [(String, String)] {
        let result: [(String, String)] =
            parent
            .filter { RunContext.configuresContainerClients($0.key) }
            .sorted { $0.key < $1.key }
            .map { ($0.key, $0.value) }
        return result + orchestratorVariables
    }

    /// Whether a variable configures container clients and the tools they call (runtimes,
    /// credential helpers, registries through proxies).
    static func configuresContainerClients(_ name: String) -> Bool {
        let exact: Set<String> = [
            "PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR",
            "REGISTRY_AUTH_FILE", "STORAGE_DRIVER", "STORAGE_OPTS", "DBUS_SESSION_BUS_ADDRESS",
            "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
        ]
        let prefixes = ["DOCKER_", "CONTAINERS_", "CONTAINER_", "PODMAN_", "BUILDAH_", "XDG_", "LC_"]
        return exact.contains(name) || prefixes.contains { name.hasPrefix($0) }
    }

    /// `run.env` with secrets read and references rendered (validation excluded cycles).
    func resolvedEnv(parent: [String: String]) throws(RunSetupError) -> [(String, String)] {
        var resolved: [String: String] = [:]
        let env = pipeline.spec.run.env
        func value(_ name: String) throws(RunSetupError) -> String {
            if let known = resolved[name] { return known }
            let result: String
            switch env[name] {
            case .fromEnv(let source)?:
                guard let secret = parent[source] else {
                    throw RunSetupError.missingSecret(key: name, variable: source)
                }
                result = secret
            case .value(let template)?:
                result = try render(template, env: value)
            case nil:
                result = ""
            }
            resolved[name] = result
            return result
        }
        var pairs: [(String, String)] = []
        for name in env.names { pairs.append((name, try value(name))) }
        return pairs
    }

    /// The values this run must never show: what `fromEnv` reads, and the literal values of
    /// env keys whose names look sensitive.
    func secrets(parent: [String: String]) -> [String] {
        var values: [String] = []
        for entry in pipeline.spec.run.env.entries {
            switch entry.value {
            case .fromEnv(let source): parent[source].map { values.append($0) }
            case .value(let template) where Environment.looksSensitive(entry.name) && template.references.isEmpty:
                values.append(template.render { _ in "" })
            default: break
            }
        }
        return values
    }

    /// Renders a template of the command, given a way to read env keys.
    func render(_ template: Template, env: (String) throws(RunSetupError) -> String) throws(RunSetupError) -> String {
        var output = ""
        for segment in template.segments {
            switch segment {
            case .literal(let text): output += text
            case .variable(let variable):
                switch variable {
                case .file: output += file
                case .fileName: output += String(file.split(separator: "/").last ?? "")
                case .fileDir: output += PathResolution.directory(of: file)
                case .fileRelativePath: output += relativePath
                case .fileSHA256: output += sha256
                case .pipelineName: output += pipeline.name
                case .runID: output += runID
                case .runEnvFile: output += envFile
                case .env(let name): output += try env(name)
                }
            }
        }
        return output
    }
}

/// Why a run could not be set up; the run fails without starting anything.
enum RunSetupError: Error, CustomStringConvertible {
    case missingSecret(key: String, variable: String)
    case cannotWrite(String)

    var description: String {
        switch self {
        case .missingSecret(let key, let variable):
            return "run.env \(key) reads $\(variable), which is not set in the orchestrator's environment"
        case .cannotWrite(let reason): return reason
        }
    }
}

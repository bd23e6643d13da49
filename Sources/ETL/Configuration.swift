import Foundation

/// The default ETL's configuration, in the legacy files' shapes, with the legacy entrypoint's
/// environment overrides: users bring their `parameters.json` and `config.json` unchanged.
public struct ETLConfiguration: Sendable {
    /// One process of `parameters.json`: which folder of `path_to_data` it reads, which index it fills.
    public struct Process: Sendable {
        public var `class`: String?
        public var path: String
        public var indexPattern: String
        /// `"types"`: how values are written; the legacy ETL's text unless `"infer"` is asked for.
        public var types: ValueTyping = .text
    }

    /// `config.json`.
    public struct Connection: Sendable {
        public var pathToData: String
        public var kibanaInfo: String
        public var host: String
        public var port: String
        public var user: String
        public var password: String
        public var scheme: String
        public var cafile: String?

        /// Whether an Elasticsearch server is configured at all.
        public var hasServer: Bool { !host.isEmpty }

        /// `scheme://host:port`.
        public var url: String { "\(scheme.isEmpty ? "http" : scheme)://\(host)\(port.isEmpty ? "" : ":" + port)" }
    }

    public var processes: [String: Process]
    public var connection: Connection
    /// The body of the index creation request (`-c`): settings and mappings.
    public var indexBody: Data?

    /// The environment variables the legacy entrypoint read, each overriding a field of `config.json`.
    static func applyOverrides(_ environment: [String: String], to connection: inout Connection) {
        if let value = environment["path_to_data"] { connection.pathToData = value }
        if let value = environment["elasticsearch_host"] { connection.host = value }
        if let value = environment["elasticsearch_port"] { connection.port = value }
        if let value = environment["elasticsearch_user"] { connection.user = value }
        if let value = environment["elasticsearch_password"] { connection.password = value }
        if let value = environment["elasticsearch_scheme"] { connection.scheme = value }
        if let value = environment["elasticsearch_cafile"] { connection.cafile = value.isEmpty ? nil : value }
    }

    /// Reads `parameters.json`, `config.json` and (if present) `index_mappings.json` from `folder`,
    /// then applies the environment overrides.
    public static func load(from folder: String, environment: [String: String]) throws(ETLError) -> ETLConfiguration {
        let parameters = try readJSON(folder + "/parameters.json")
        guard let processes = parameters["process"] as? [String: Any] else {
            throw .configuration(
                "\(folder)/parameters.json: expected {\"process\": {NAME: {\"path\": …, \"index_pattern\": …}}}"
            )
        }
        var decoded: [String: Process] = [:]
        for (name, value) in processes {
            guard let object = value as? [String: Any], let path = object["path"] as? String,
                let index = object["index_pattern"] as? String
            else {
                throw .configuration("\(folder)/parameters.json: process \(name) needs \"path\" and \"index_pattern\"")
            }
            var types = ValueTyping.text
            if let value = object["types"] {
                guard let text = value as? String, let typing = ValueTyping(rawValue: text) else {
                    throw .configuration(
                        "\(folder)/parameters.json: process \(name): \"types\" is \"text\" (the default) or \"infer\", not \(value)"
                    )
                }
                types = typing
            }
            decoded[name] = Process(class: object["class"] as? String, path: path, indexPattern: index, types: types)
        }
        let config = try readJSON(folder + "/config.json")
        func text(_ key: String, _ fallback: String = "") -> String {
            switch config[key] {
            case let value as String: return value
            case let value as NSNumber: return value.stringValue
            default: return fallback
            }
        }
        var connection = Connection(
            pathToData: text("path_to_data", "/data/"),
            kibanaInfo: text("kibana_info"),
            host: text("host"),
            port: text("port", "9200"),
            user: text("user"),
            password: text("pwd"),
            scheme: text("scheme", "http"),
            cafile: (config["cafile"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        )
        applyOverrides(environment, to: &connection)
        let mappings = folder + "/index_mappings.json"
        var body: Data?
        if FileManager.default.fileExists(atPath: mappings) {
            let object = try readJSON(mappings)
            let isBody = object["mappings"] != nil || object["settings"] != nil
            let wrapped: [String: Any] = isBody ? object : ["mappings": object]
            body = try? JSONSerialization.data(withJSONObject: wrapped, options: [.sortedKeys])
        }
        return ETLConfiguration(processes: decoded, connection: connection, indexBody: body)
    }

    private static func readJSON(_ path: String) throws(ETLError) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configuration("\(path): cannot read the file")
        }
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ETLError.configuration("\(path): expected a JSON object")
            }
            return object
        } catch let error as ETLError {
            throw error
        } catch {
            throw .configuration("\(path): invalid JSON: \(error.localizedDescription)")
        }
    }
}

/// How a process writes values.
public enum ValueTyping: String, Sendable {
    /// Every value is the cell's text, exactly as the legacy ETL sent it (`"779"`, `"true"`,
    /// `"2024-01-31 00:00:00"`): the shape existing indices, mappings and dashboards expect.
    case text
    /// Each column gets the narrowest JSON type of its values in this file (`779`, `true`, `7.0`).
    /// Two files can then disagree on a field's type, and Elasticsearch rejects the second's rows.
    case infer
}

/// What can go wrong, by kind; each message names the file (and line or row) it is about.
public enum ETLError: Error, CustomStringConvertible, Equatable {
    case configuration(String)
    case input(String)
    case unsupported(String)
    case sink(String)

    public var description: String {
        switch self {
        case .configuration(let message), .input(let message), .unsupported(let message), .sink(let message):
            return message
        }
    }
}

import YAML

extension RunSpec {
    /// The `run.env` keys whose value holds a secret: `fromEnv` keys, and value keys that refer
    /// to one, directly or through other keys.
    public var secretKeys: Set<String> {
        var secret = Set(
            env.entries.compactMap { entry -> String? in
                if case .fromEnv = entry.value { return entry.name }
                return nil
            }
        )
        var changed = true
        while changed {
            changed = false
            for entry in env.entries where !secret.contains(entry.name) {
                guard case .value(let template) = entry.value else { continue }
                if template.references.contains(where: {
                    if case .env(let name) = $0 { secret.contains(name) } else { false }
                }) {
                    secret.insert(entry.name)
                    changed = true
                }
            }
        }
        return secret
    }

    /// Warnings for each secret that a template writes into the argv (the command, or the
    /// container's args, options and volumes): any local user reads argv with `ps`, while the
    /// run's environment is readable only by its owner.
    public var secretExposures: [(location: NodeLocation?, message: String)] {
        let secret = secretKeys
        guard !secret.isEmpty else { return [] }
        var warnings: [(NodeLocation?, String)] = []
        for template in targetTemplates {
            var named: [String] = []
            for case .env(let name) in template.references where secret.contains(name) && !named.contains(name) {
                named.append(name)
            }
            for name in named {
                warnings.append(
                    (
                        template.location,
                        "${\(name)} puts a secret from fromEnv on the command line, where any local user can read it with ps; "
                            + "let the command read \(name) from its environment instead (every run.env key is set for the run)"
                    )
                )
            }
        }
        return warnings
    }
}

import Crypto
import Foundation
import Hummingbird
import Model

/// Signed session cookies and CSRF tokens, stateless: a cookie holds the user name and an expiry,
/// signed with HMAC-SHA256 under a key kept in the state database (sessions survive a restart;
/// removing or demoting a user takes effect at the next request, as the account is read each time).
struct Sessions: Sendable {
    static let cookieName = "orchestrator_session"
    static let lifetime: TimeInterval = 12 * 3600
    let key: SymmetricKey
    /// Marks cookies `Secure` (the console is served over TLS, or behind a TLS proxy).
    let secureCookies: Bool

    /// A token for `user` valid until `expires`: `EXPIRY-MAC-USER` (user names are cookie-safe ASCII).
    func token(user: String, expires: Date) -> String {
        let expiry = String(Int(expires.timeIntervalSince1970))
        return expiry + "-" + mac(expiry + "\n" + user) + "-" + user
    }

    /// The user a token was made for, when its signature holds and it has not expired.
    func user(fromToken token: String, now: Date = Date()) -> String? {
        let parts = token.split(separator: "-", maxSplits: 2).map(String.init)
        guard parts.count == 3, let expiry = TimeInterval(parts[0]), expiry > now.timeIntervalSince1970 else {
            return nil
        }
        let expected = mac(parts[0] + "\n" + parts[2])
        guard Self.constantTimeEqual(expected, parts[1]) else { return nil }
        return parts[2]
    }

    /// The CSRF token that goes with a session token: pages put it in a meta tag, and every
    /// state-changing request sends it back in `X-CSRF-Token`. A forged cross-site request cannot
    /// read it.
    func csrf(for token: String) -> String { mac("csrf\n" + token) }

    func cookie(_ token: String) -> Cookie {
        Cookie(
            name: Self.cookieName,
            value: token,
            maxAge: Int(Self.lifetime),
            path: "/",
            secure: secureCookies,
            httpOnly: true,
            sameSite: .strict
        )
    }

    func expiredCookie() -> Cookie {
        Cookie(
            name: Self.cookieName,
            value: "",
            maxAge: 0,
            path: "/",
            secure: secureCookies,
            httpOnly: true,
            sameSite: .strict
        )
    }

    private func mac(_ text: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key).map { String(format: "%02x", $0) }.joined()
    }

    static func constantTimeEqual(_ left: String, _ right: String) -> Bool {
        let a = Array(left.utf8)
        let b = Array(right.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Slows password guessing: after 5 failed sign-ins of one user name within 15 minutes, that
/// name is refused (429) until the oldest failure is 15 minutes old.
actor LoginThrottle {
    static let limit = 5
    static let window: TimeInterval = 15 * 60
    private var failures: [String: [Date]] = [:]

    /// Seconds until `user` may try again, or nil when it may now.
    func wait(for user: String, now: Date = Date()) -> Int? {
        let recent = (failures[user] ?? []).filter { now.timeIntervalSince($0) < Self.window }
        failures[user] = recent
        guard recent.count >= Self.limit, let oldest = recent.first else { return nil }
        return max(1, Int((Self.window - now.timeIntervalSince(oldest)).rounded(.up)))
    }

    func failed(_ user: String, now: Date = Date()) { failures[user, default: []].append(now) }
    func succeeded(_ user: String) { failures[user] = nil }
}

// Where the core keeps its cache on iOS: the App Group container, so that the app and its
// Notification Service Extension share one cache (the core is safe across two processes).
import Foundation

public enum SimoPaths {
    /// The App Group both the app and the extension are entitled to.
    public static let appGroup = "group.ru.simo.app"

    /// The shared data directory, or the app's own Application Support as a fallback
    /// (for example in previews, where there is no App Group).
    public static func dataDirectory() -> String {
        let fileManager = FileManager.default
        let base = fileManager.containerURL(forSecurityApplicationGroupIdentifier: appGroup)
            ?? fileManager.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
        let directory = base.appendingPathComponent("simo", isDirectory: true)
        try? fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.path
    }
}

public extension ApiError {
    /// Whether the UI should go back to the login screen.
    var needsLogin: Bool {
        if case .Unauthorized = self { return true }
        return false
    }

    /// The text to show the user, in the phone's language (the core's `reason`s already are:
    /// see `setLanguage`); the words around them are in Resources/en.lproj.
    var userMessage: String {
        switch self {
        case let .Network(reason): return String(localized: "Нет соединения с сервером: \(reason)", bundle: .module)
        case let .Unauthorized(reason): return reason
        case let .InvalidInput(reason): return reason
        case let .NotFound(reason): return reason
        case let .RateLimited(reason, retryAfterSeconds):
            return String(localized: "\(reason) (через \(Int(retryAfterSeconds)) с)", bundle: .module)
        case let .Unavailable(reason, retryAfterSeconds):
            return String(localized: "\(reason) (через \(Int(retryAfterSeconds)) с)", bundle: .module)
        case let .Server(reason): return String(localized: "Ошибка сервера: \(reason)", bundle: .module)
        case let .Storage(reason): return String(localized: "Ошибка хранилища: \(reason)", bundle: .module)
        }
    }
}

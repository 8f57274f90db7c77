// A remote notification's payload as the core reads it, shared by the app and its
// Notification Service Extension.
import Foundation

public enum SimoPush {
    /// A remote notification's `userInfo` as JSON for `SimoClient.handlePush`, which reads the
    /// keys beside `aps` (`messageid`, `createdate`, or `recalled`) and the title and text from
    /// `aps.alert`. `nil` if it is not JSON.
    public static func payload(userInfo: [AnyHashable: Any]) -> String? {
        var data: [String: Any] = [:]
        for (key, value) in userInfo {
            if let key = key as? String { data[key] = value }
        }
        // JSONSerialization raises (not throws) on what JSON cannot hold.
        guard JSONSerialization.isValidJSONObject(data),
              let json = try? JSONSerialization.data(withJSONObject: data) else { return nil }
        return String(data: json, encoding: .utf8)
    }

    /// The notification category of a message to acknowledge (the server's `aps.category`),
    /// and the identifier of its action.
    public static let ackCategory = "SIMO_ACK"
    public static let ackAction = "SIMO_ACK_ACTION"

    /// The action's title in the phone's language.
    public static var ackActionTitle: String {
        String(localized: "Ознакомлен(а)", bundle: .module)
    }

    /// A reminder's title (`PushNotification.reminder`) in the phone's language. The system
    /// words it from the app's `push.reminder_title` when the extension does not run.
    public static func reminderTitle(_ title: String) -> String {
        String(localized: "Напоминание: \(title)", bundle: .module)
    }

    /// The message a notification shows, if it names one.
    public static func messageId(userInfo: [AnyHashable: Any]) -> MessageId? {
        (userInfo["messageid"] as? String).flatMap { MessageId($0) }
    }
}

public extension SimoPaths {
    /// The server the app talks to: `SimoServerURL` in the app's (or the extension's) Info.plist.
    static func serverURL() -> String {
        Bundle.main.object(forInfoDictionaryKey: "SimoServerURL") as? String ?? "https://simo.example.ru"
    }
}

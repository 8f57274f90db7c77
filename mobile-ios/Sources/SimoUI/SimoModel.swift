// The observable state of the app over SimoClient: all logic stays in the Rust core.
import Foundation
import SimoCore
import UserNotifications

@MainActor
public final class SimoModel: ObservableObject {
    public enum Screen { case login, code, messages }

    @Published public private(set) var screen: Screen = .login
    @Published public private(set) var messages: [Message] = []
    @Published public private(set) var unread: UInt32 = 0
    /// Messages the employee is asked to acknowledge and has not.
    @Published public private(set) var awaitingAck = 0
    @Published public private(set) var profile: Profile?
    @Published public var errorText: String?
    @Published public var busy = false
    /// The message a tapped notification opened, shown over the list until dismissed.
    @Published public var opened: Message?
    /// The copy of a message's file shown in Quick Look, until dismissed.
    @Published public var previewedFile: URL?
    /// "Только непрочитанные": what came after a holiday, without the history around it.
    @Published public var onlyUnread = false {
        didSet { reload() }
    }

    private let client: SimoClient
    private var listener: Listener?

    public init(serverUrl: String) throws {
        // The core's messages and the server's come in the phone's language (Russian unless English).
        setLanguage(tag: Locale.preferredLanguages.first ?? "ru")
        client = try SimoClient(serverUrl: serverUrl, dataDir: SimoPaths.dataDirectory())
        profile = try client.profile()
        screen = profile == nil ? .login : .messages
        let listener = Listener(model: self)
        client.setListener(listener: listener)
        self.listener = listener
        reload()
    }

    public func requestCode(inn: String, phone: String, name: String) async {
        await run {
            _ = try await self.client.requestCode(inn: inn, phone: phone, name: name, device: .apple)
            self.screen = .code
        }
    }

    public func confirm(code: String) async {
        await run {
            self.profile = try await self.client.confirmCode(code: code)
            self.screen = .messages
            try await self.sync()
        }
    }

    public func registerPushToken(_ token: Data) async {
        let hex = token.map { String(format: "%02x", $0) }.joined()
        await run { try await self.client.registerPushToken(token: hex) }
    }

    /// A remote notification's payload, from the app delegate (a push that woke the app, or
    /// one that arrived in the foreground): a message push stores its message unless the
    /// Notification Service Extension already did, a background push that names a recalled
    /// message deletes it (the listener withdraws its notification), and every push is a cue
    /// to sync.
    public func handleRemoteNotification(_ userInfo: [AnyHashable: Any]) async {
        if let payload = SimoPush.payload(userInfo: userInfo) {
            // A push the core refuses (malformed, or after a logout) is not the user's
            // business: nothing is shown, and the sync below brings what matters.
            _ = try? client.handlePush(payload: payload)
        }
        await refresh()
    }

    /// A tapped notification: its message is opened, which marks it read.
    public func openNotification(_ userInfo: [AnyHashable: Any]) async {
        await handleRemoteNotification(userInfo)
        guard screen == .messages, let id = SimoPush.messageId(userInfo: userInfo) else { return }
        do {
            guard let message = try client.message(id: id) else { return }
            opened = message
            await open(message)
        } catch { show(error) }
    }

    /// The "Ознакомлен(а)" action of a notification, pressed without opening the app: the
    /// message is stored from the push if the extension has not, then acknowledged.
    public func acknowledgeNotification(_ userInfo: [AnyHashable: Any]) async {
        await handleRemoteNotification(userInfo)
        guard let id = SimoPush.messageId(userInfo: userInfo) else { return }
        await run { try await self.client.acknowledge(id: id) }
    }

    public func refresh() async {
        await run { try await self.sync() }
    }

    /// A sync; the profile is read again when the company changed the employee's name, phone
    /// or state (switched them off the mailing, approved the login), or its own name.
    private func sync() async throws {
        let report = try await client.sync()
        if report.profileChanged {
            profile = try client.profile()
        }
    }

    public func search(_ text: String) {
        do {
            messages = text.isEmpty ? try page(before: nil) : try client.search(text: text)
        } catch { show(error) }
    }

    public func loadOlder() {
        guard let oldest = messages.last else { return }
        do { messages += try page(before: oldest.id) } catch { show(error) }
    }

    public func open(_ message: Message) async {
        await run { try await self.client.markRead(id: message.id) }
    }

    /// Shows a file of a message in Quick Look, whose share button also saves it or sends it on.
    /// The core downloads the bytes once and keeps them as long as the message (offline they
    /// come from its cache); the copy written here, in the caches folder, is only what Quick
    /// Look reads, and the system may clear it.
    public func openFile(_ file: MessageFile, of message: Message) async {
        await run {
            let bytes = try await self.client.file(messageId: message.id, fileId: file.id)
            // One folder per file: two files of the same name never overwrite each other. The
            // core gives names without folders, so the copy stays inside.
            let folder = Self.fileCopies.appendingPathComponent("\(message.id)/\(file.id)", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let copy = folder.appendingPathComponent(file.name, isDirectory: false)
            try bytes.write(to: copy, options: .atomic)
            self.previewedFile = copy
        }
    }

    /// "Прочитать все": the reports go now, or with the next sync when offline.
    public func markAllRead() async {
        await run { _ = try await self.client.markAllRead() }
    }

    /// "Ознакомлен(а)": the report goes now, or with the next sync when offline.
    public func acknowledge(_ message: Message) async {
        await run { try await self.client.acknowledge(id: message.id) }
    }

    public func logout() {
        do { try client.logout() } catch { show(error) }
        // The core forgot the files with the messages; the copies made to open them go too.
        try? FileManager.default.removeItem(at: Self.fileCopies)
        profile = nil
        screen = .login
        reload()
    }

    /// Where the copies of messages' files are written for Quick Look to read.
    private static var fileCopies: URL {
        FileManager.default.urls(for: .cachesDirectory, in: .userDomainMask)[0]
            .appendingPathComponent("files", isDirectory: true)
    }

    /// Fifty of the list shown, older than `before`.
    private func page(before: MessageId?) throws -> [Message] {
        onlyUnread
            ? try client.unreadMessages(limit: 50, before: before)
            : try client.messages(limit: 50, before: before)
    }

    func reload() {
        do {
            messages = try page(before: nil)
            unread = try client.unreadCount()
            awaitingAck = try client.awaitingAck().count
        } catch { show(error) }
    }

    func sessionExpired() {
        profile = nil
        screen = .login
        errorText = tr("Сессия истекла, войдите снова")
    }

    private func run(_ work: @escaping () async throws -> Void) async {
        busy = true
        defer { busy = false; reload() }
        do { try await work() } catch { show(error) }
    }

    private func show(_ error: Error) {
        if let apiError = error as? ApiError {
            if apiError.needsLogin { sessionExpired() }
            errorText = apiError.userMessage
        } else {
            errorText = error.localizedDescription
        }
    }
}

/// Called by the core on its own thread; hops to the main actor.
final class Listener: SimoListener, @unchecked Sendable {
    weak var model: SimoModel?
    init(model: SimoModel) { self.model = model }

    func onNewMessages(messages: [Message]) {
        Task { @MainActor [weak model] in model?.reload() }
    }

    /// The organisation recalled these messages: the list loses them, and so does the
    /// notification centre (each notification's `messageid` says which message it shows).
    func onMessagesRecalled(ids: [MessageId]) {
        Task { @MainActor [weak model] in model?.reload() }
        let recalled = Set(ids.map { String($0) })
        let center = UNUserNotificationCenter.current()
        center.getDeliveredNotifications { delivered in
            let gone = delivered
                .filter { recalled.contains("\($0.request.content.userInfo["messageid"] ?? "")") }
                .map { $0.request.identifier }
            center.removeDeliveredNotifications(withIdentifiers: gone)
        }
    }

    func onSessionExpired() {
        Task { @MainActor [weak model] in model?.sessionExpired() }
    }
}

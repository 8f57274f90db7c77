// The three screens of section 3 of the user guide: login, SMS code, messages (+ profile).
import QuickLook
import SwiftUI
import SimoCore

/// The UI's words in the phone's language: the Russian is the key, the English is in
/// Resources/en.lproj (this package's bundle, not the app's).
func tr(_ key: String.LocalizationValue) -> String {
    String(localized: key, bundle: .module)
}

public struct RootView: View {
    @ObservedObject var model: SimoModel
    public init(model: SimoModel) { self.model = model }

    public var body: some View {
        NavigationStack {
            switch model.screen {
            case .login: LoginView(model: model)
            case .code: CodeView(model: model)
            case .messages: MessagesView(model: model)
            }
        }
        .alert(tr("Ошибка"), isPresented: Binding(get: { model.errorText != nil }, set: { _ in model.errorText = nil })) {
            Button("OK", role: .cancel) {}
        } message: {
            Text(model.errorText ?? "")
        }
    }
}

struct LoginView: View {
    @ObservedObject var model: SimoModel
    @State private var inn = ""
    @State private var phone = ""
    @State private var name = ""

    var body: some View {
        Form {
            TextField(tr("ИНН организации"), text: $inn).keyboardType(.numberPad)
            TextField(tr("Телефон"), text: $phone).keyboardType(.phonePad)
            TextField(tr("Фамилия и инициалы"), text: $name)
            Button(tr("Войти")) { Task { await model.requestCode(inn: inn, phone: phone, name: name) } }
                .disabled(model.busy || inn.isEmpty || phone.isEmpty || name.isEmpty)
        }
        .navigationTitle(tr("СиМО"))
    }
}

struct CodeView: View {
    @ObservedObject var model: SimoModel
    @State private var code = ""

    var body: some View {
        Form {
            TextField(tr("Код из СМС"), text: $code).keyboardType(.numberPad).textContentType(.oneTimeCode)
            Button(tr("Отправить")) { Task { await model.confirm(code: code) } }
                .disabled(model.busy || code.count < 4)
        }
        .navigationTitle(tr("Подтверждение"))
    }
}

struct MessagesView: View {
    @ObservedObject var model: SimoModel
    @State private var query = ""

    var body: some View {
        List {
            // Nothing new will come: say why, so the employee asks the company, not us.
            switch model.profile?.state {
            case .disabled?:
                Text(tr("Компания отключила вам рассылку: новые сообщения не приходят. Прежние остаются здесь."))
                    .foregroundStyle(.red)
            case .pending?:
                Text(tr("Вход ждёт подтверждения администратора компании: сообщения начнут приходить после него."))
                    .foregroundStyle(.tint)
            default:
                EmptyView()
            }
            if model.awaitingAck > 0 {
                Text(tr("Ждут вашего ознакомления: \(Int(model.awaitingAck))")).foregroundStyle(.tint)
            }
            ForEach(model.messages, id: \.id) { message in
                NavigationLink {
                    MessageView(model: model, message: message).task { await model.open(message) }
                } label: {
                    VStack(alignment: .leading, spacing: 4) {
                        Text(message.title).fontWeight(message.isRead ? .regular : .bold)
                        Text(message.createdAt, style: .date).font(.caption).foregroundStyle(.secondary)
                    }
                }
                .onAppear { if message.id == model.messages.last?.id { model.loadOlder() } }
            }
        }
        .searchable(text: $query, prompt: Text(tr("Поиск")))
        .onChange(of: query) { model.search($0) }
        .refreshable { await model.refresh() }
        .navigationDestination(isPresented: Binding(get: { model.opened != nil }, set: { if !$0 { model.opened = nil } })) {
            if let message = model.opened { MessageView(model: model, message: message) }
        }
        .navigationTitle(tr("Сообщения (\(Int(model.unread)))"))
        .toolbar {
            // Many unread after the first login, or after a holiday: read them all at once.
            if model.unread > 0 {
                Button(tr("Прочитать все")) { Task { await model.markAllRead() } }
            }
            Button(model.onlyUnread ? tr("Все сообщения") : tr("Только непрочитанные")) {
                model.onlyUnread.toggle()
            }
            NavigationLink(tr("Профиль")) { ProfileView(model: model) }
        }
        .task { await model.refresh() }
    }
}

struct MessageView: View {
    @ObservedObject var model: SimoModel
    let message: Message

    /// As the cache has it now: an acknowledgment made on this screen shows at once.
    private var current: Message { model.messages.first { $0.id == message.id } ?? message }

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 12) {
                Text(current.title).font(.title2)
                Text(current.createdAt, format: .dateTime).font(.caption).foregroundStyle(.secondary)
                Text(current.text)
                // The files the company attached (a payslip, an order): a tap opens one.
                ForEach(current.files, id: \.id) { file in
                    Button { Task { await model.openFile(file, of: current) } } label: {
                        Label(fileLine(file), systemImage: file.downloaded ? "doc" : "arrow.down.doc")
                    }
                    .disabled(model.busy)
                }
                // The company asks the employee to confirm they have read it (an order, a rule).
                if current.ackRequired {
                    if let acked = current.ackedAt {
                        Text(ackedLine(acked)).font(.footnote).foregroundStyle(.secondary)
                    } else {
                        Button(tr("Ознакомлен(а)")) { Task { await model.acknowledge(current) } }
                            .buttonStyle(.borderedProminent)
                            .disabled(model.busy)
                    }
                }
            }
            .padding()
        }
        .quickLookPreview($model.previewedFile)
    }

    /// "Расчётный листок.pdf, 12 КБ": the size in the phone's language and units.
    private func fileLine(_ file: MessageFile) -> String {
        let size = ByteCountFormatter.string(fromByteCount: Int64(clamping: file.size), countStyle: .file)
        return "\(file.name), \(size)"
    }

    private func ackedLine(_ at: Date) -> String {
        let when = at.formatted(date: .abbreviated, time: .shortened)
        return tr("Вы ознакомились \(when)")
    }
}

struct ProfileView: View {
    @ObservedObject var model: SimoModel

    var body: some View {
        Form {
            if let profile = model.profile {
                LabeledContent(tr("Сотрудник"), value: profile.staffName)
                LabeledContent(tr("Телефон"), value: profile.phone)
                LabeledContent(tr("Организация"), value: profile.companyName)
                LabeledContent(tr("ИНН"), value: profile.inn)
            }
            Section(tr("О программе")) {
                Text(tr("СиМО — система мобильного оповещения"))
            }
            Button(tr("Выйти"), role: .destructive) { model.logout() }
        }
        .navigationTitle(tr("Профиль"))
    }
}

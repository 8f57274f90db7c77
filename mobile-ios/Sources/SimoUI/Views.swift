// The three screens of section 3 of the user guide: login, SMS code, messages (+ profile).
import SwiftUI
import SimoCore

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
        .alert("Ошибка", isPresented: Binding(get: { model.errorText != nil }, set: { _ in model.errorText = nil })) {
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
            TextField("ИНН организации", text: $inn).keyboardType(.numberPad)
            TextField("Телефон", text: $phone).keyboardType(.phonePad)
            TextField("Фамилия и инициалы", text: $name)
            Button("Войти") { Task { await model.requestCode(inn: inn, phone: phone, name: name) } }
                .disabled(model.busy || inn.isEmpty || phone.isEmpty || name.isEmpty)
        }
        .navigationTitle("СиМО")
    }
}

struct CodeView: View {
    @ObservedObject var model: SimoModel
    @State private var code = ""

    var body: some View {
        Form {
            TextField("Код из СМС", text: $code).keyboardType(.numberPad).textContentType(.oneTimeCode)
            Button("Отправить") { Task { await model.confirm(code: code) } }
                .disabled(model.busy || code.count < 4)
        }
        .navigationTitle("Подтверждение")
    }
}

struct MessagesView: View {
    @ObservedObject var model: SimoModel
    @State private var query = ""

    var body: some View {
        List {
            ForEach(model.messages, id: \.id) { message in
                NavigationLink {
                    MessageView(message: message).task { await model.open(message) }
                } label: {
                    VStack(alignment: .leading, spacing: 4) {
                        Text(message.title).fontWeight(message.isRead ? .regular : .bold)
                        Text(message.createdAt, style: .date).font(.caption).foregroundStyle(.secondary)
                    }
                }
                .onAppear { if message.id == model.messages.last?.id { model.loadOlder() } }
            }
        }
        .searchable(text: $query, prompt: "Поиск")
        .onChange(of: query) { model.search($0) }
        .refreshable { await model.refresh() }
        .navigationTitle("Сообщения (\(model.unread))")
        .toolbar {
            NavigationLink("Профиль") { ProfileView(model: model) }
        }
        .task { await model.refresh() }
    }
}

struct MessageView: View {
    let message: Message

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 12) {
                Text(message.title).font(.title2)
                Text(message.createdAt, format: .dateTime).font(.caption).foregroundStyle(.secondary)
                Text(message.text)
            }
            .padding()
        }
    }
}

struct ProfileView: View {
    @ObservedObject var model: SimoModel

    var body: some View {
        Form {
            if let profile = model.profile {
                LabeledContent("Сотрудник", value: profile.staffName)
                LabeledContent("Телефон", value: profile.phone)
                LabeledContent("Организация", value: profile.companyName)
                LabeledContent("ИНН", value: profile.inn)
            }
            Section("О программе") {
                Text("СиМО — система мобильного оповещения")
            }
            Button("Выйти", role: .destructive) { model.logout() }
        }
        .navigationTitle("Профиль")
    }
}

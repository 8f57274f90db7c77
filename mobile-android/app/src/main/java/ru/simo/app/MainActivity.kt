// The three screens of section 3 of the user guide over the core: login, SMS code, messages.
package ru.simo.app

import android.Manifest
import android.app.NotificationManager
import android.content.ActivityNotFoundException
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import android.os.Bundle
import android.text.format.Formatter
import android.util.Log
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.core.content.FileProvider
import androidx.lifecycle.lifecycleScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.io.File
import java.io.IOException
import java.text.DateFormat
import java.util.Date
import ru.simo.core.ApiException
import ru.simo.core.Device
import ru.simo.core.Message
import ru.simo.core.MessageFile
import ru.simo.core.SimoClient
import ru.simo.core.SimoListener
import ru.simo.core.StaffState

class MainActivity : ComponentActivity() {
    // Android 13+ shows no notification until the user allows it; a refusal is theirs to
    // make, and the messages still arrive and stay readable in the app.
    private val askNotifications = registerForActivityResult(ActivityResultContracts.RequestPermission()) {}

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val client = (application as SimoApplication).client
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU &&
            checkSelfPermission(Manifest.permission.POST_NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED
        ) {
            askNotifications.launch(Manifest.permission.POST_NOTIFICATIONS)
        }
        openFromNotification(intent)
        setContent { MaterialTheme { SimoScreen(client) } }
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        openFromNotification(intent)
    }

    /** A tapped notification's message is read: the server and the unread count learn it. */
    private fun openFromNotification(intent: Intent?) {
        val id = intent?.getLongExtra(EXTRA_MESSAGE_ID, 0L) ?: 0L
        if (id <= 0L) return
        intent?.removeExtra(EXTRA_MESSAGE_ID)
        val client = (application as SimoApplication).client
        // Offline, the core queues the report for the next sync; only an expired session fails,
        // and the screen's next call shows that.
        lifecycleScope.launch {
            try {
                client.markRead(id)
            } catch (e: ApiException) {
                Log.w("MainActivity", "message $id not marked read", e)
            }
        }
    }

    companion object {
        const val EXTRA_MESSAGE_ID = "ru.simo.app.MESSAGE_ID"
    }
}

private enum class Screen { LOGIN, CODE, MESSAGES }

@Composable
private fun SimoScreen(client: SimoClient) {
    var profile by remember { mutableStateOf(client.profile()) }
    var screen by remember { mutableStateOf(if (profile == null) Screen.LOGIN else Screen.MESSAGES) }
    // «Только непрочитанные»: what came after a holiday, without the history around it.
    var onlyUnread by remember { mutableStateOf(false) }
    fun list() = if (onlyUnread) client.unreadMessages(50u, null) else client.messages(50u, null)
    var messages by remember { mutableStateOf(list()) }
    var awaiting by remember { mutableStateOf(client.awaitingAck().size) }
    var error by remember { mutableStateOf<String?>(null) }
    val scope = rememberCoroutineScope()
    val context = LocalContext.current
    val reload = {
        messages = list()
        awaiting = client.awaitingAck().size
    }
    remember {
        client.setListener(object : SimoListener {
            override fun onNewMessages(messages: List<Message>) { scope.launch { reload() } }
            override fun onMessagesRecalled(ids: List<Long>) {
                val notifications = context.getSystemService(NotificationManager::class.java)
                ids.forEach { notifications.cancel(it.toInt()) }
                scope.launch { reload() }
            }
            override fun onSessionExpired() { scope.launch { screen = Screen.LOGIN; error = context.getString(R.string.session_expired) } }
        })
    }
    // The company may have renamed the employee (or itself) since the login: a sync says so.
    suspend fun sync() {
        if (client.sync().profileChanged) profile = client.profile()
    }
    fun run(work: suspend () -> Unit) = scope.launch {
        error = null
        try { work() } catch (e: ApiException) {
            error = when (e) {
                is ApiException.Network -> context.getString(R.string.no_connection)
                is ApiException.Unauthorized -> { screen = Screen.LOGIN; e.reason }
                is ApiException.InvalidInput -> e.reason
                // A file of a message the company recalled: the next sync takes the message away.
                is ApiException.NotFound -> e.reason
                is ApiException.RateLimited -> e.reason
                // The server's words: what is down and when to try again.
                is ApiException.Unavailable -> e.reason
                is ApiException.Server -> context.getString(R.string.server_error, e.reason)
                is ApiException.Storage -> context.getString(R.string.storage_error, e.reason)
            }
        }
        reload()
    }

    Column(Modifier.fillMaxSize().padding(16.dp)) {
        error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        when (screen) {
            Screen.LOGIN -> {
                var inn by remember { mutableStateOf("") }
                var phone by remember { mutableStateOf("") }
                var name by remember { mutableStateOf("") }
                OutlinedTextField(inn, { inn = it }, label = { Text(stringResource(R.string.inn)) })
                OutlinedTextField(phone, { phone = it }, label = { Text(stringResource(R.string.phone)) })
                OutlinedTextField(name, { name = it }, label = { Text(stringResource(R.string.name)) })
                Button(onClick = { run { client.requestCode(inn, phone, name, Device.ANDROID); screen = Screen.CODE } }) { Text(stringResource(R.string.log_in)) }
            }
            Screen.CODE -> {
                var code by remember { mutableStateOf("") }
                OutlinedTextField(code, { code = it }, label = { Text(stringResource(R.string.sms_code)) })
                Button(onClick = { run { profile = client.confirmCode(code); screen = Screen.MESSAGES; sync() } }) { Text(stringResource(R.string.send)) }
            }
            Screen.MESSAGES -> {
                profile?.let {
                    Text(it.staffName, fontWeight = FontWeight.Bold)
                    Text(it.companyName, style = MaterialTheme.typography.bodySmall)
                    // Nothing new will come: say why, so the employee asks the company, not us.
                    when (it.state) {
                        StaffState.DISABLED -> Text(stringResource(R.string.state_disabled), color = MaterialTheme.colorScheme.error)
                        StaffState.PENDING -> Text(stringResource(R.string.state_pending), color = MaterialTheme.colorScheme.primary)
                        StaffState.ACTIVE -> {}
                    }
                }
                var query by remember { mutableStateOf("") }
                OutlinedTextField(query, { query = it; messages = if (it.isBlank()) list() else client.search(it) }, label = { Text(stringResource(R.string.search)) })
                Button(onClick = { run { sync() } }) { Text(stringResource(R.string.refresh_unread, client.unreadCount().toInt())) }
                // Many unread after the first login, or after a holiday: read them all at once.
                if (client.unreadCount() > 0u) {
                    TextButton(onClick = { run { client.markAllRead() } }) { Text(stringResource(R.string.mark_all_read)) }
                }
                TextButton(onClick = { onlyUnread = !onlyUnread; query = ""; reload() }) {
                    Text(stringResource(if (onlyUnread) R.string.show_all else R.string.show_unread))
                }
                if (awaiting > 0) {
                    Text(stringResource(R.string.awaiting_ack, awaiting), color = MaterialTheme.colorScheme.primary)
                }
                LazyColumn {
                    items(messages, key = { it.id }) { message ->
                        Column(Modifier.clickable { run { client.markRead(message.id) } }.padding(vertical = 8.dp)) {
                            Text(message.title, fontWeight = if (message.isRead) FontWeight.Normal else FontWeight.Bold)
                            Text(message.text, style = MaterialTheme.typography.bodyMedium)
                            // The files the company attached (a payslip, an order): a tap opens one.
                            message.files.forEach { file ->
                                val size = Formatter.formatShortFileSize(context, file.size.toLong())
                                Text(
                                    stringResource(if (file.downloaded) R.string.file_line_saved else R.string.file_line, file.name, size),
                                    color = MaterialTheme.colorScheme.primary,
                                    style = MaterialTheme.typography.bodySmall,
                                    modifier = Modifier.clickable { run { error = openFile(context, client, message.id, file) } }.padding(vertical = 4.dp),
                                )
                            }
                            // The company asks the employee to confirm they have read it (an order, a rule).
                            if (message.ackRequired) {
                                val acked = message.ackedAt
                                if (acked == null) {
                                    Button(onClick = { run { client.acknowledge(message.id) } }) { Text(stringResource(R.string.acknowledge)) }
                                } else {
                                    Text(
                                        stringResource(R.string.acknowledged_at, DateFormat.getDateTimeInstance(DateFormat.MEDIUM, DateFormat.SHORT).format(Date.from(acked))),
                                        style = MaterialTheme.typography.bodySmall,
                                    )
                                }
                            }
                        }
                    }
                }
                Button(onClick = {
                    client.logout()
                    // The core forgot the files with the messages; the copies made to open them go too.
                    fileCopies(context).deleteRecursively()
                    profile = null; screen = Screen.LOGIN; reload()
                }) { Text(stringResource(R.string.log_out)) }
            }
        }
    }
}

/** Where the copies of messages' files are written for a viewer to read (res/xml/file_paths.xml). */
private fun fileCopies(context: Context) = File(context.cacheDir, "files")

/**
 * Opens a file of a message in the app the phone has for its type; returns what to tell the
 * user if it cannot. The core downloads the bytes once and keeps them as long as the message
 * (offline they come from its cache); the copy written here, in the cache folder FileProvider
 * shares (res/xml/file_paths.xml), is only what the viewer reads, and the system may clear it.
 */
private suspend fun openFile(context: Context, client: SimoClient, messageId: Long, file: MessageFile): String? {
    val bytes = client.file(messageId, file.id)
    val copy = try {
        withContext(Dispatchers.IO) {
            // One folder per file: two files of the same name never overwrite each other. The core
            // gives names without folders, so the copy stays inside.
            val folder = File(fileCopies(context), "$messageId/${file.id}").apply { mkdirs() }
            File(folder, file.name).apply { writeBytes(bytes) }
        }
    } catch (e: IOException) {
        return context.getString(R.string.storage_error, e.message.orEmpty())
    }
    val uri = FileProvider.getUriForFile(context, context.packageName + ".files", copy)
    val view = Intent(Intent.ACTION_VIEW)
        .setDataAndType(uri, file.contentType)
        .addFlags(Intent.FLAG_GRANT_READ_URI_PERMISSION)
    return try {
        context.startActivity(view)
        null
    } catch (e: ActivityNotFoundException) {
        context.getString(R.string.no_viewer)
    }
}

// A real simo-backend on loopback with a fake SMS gateway, for the binding tests.
package ru.simo.core

import com.sun.net.httpserver.HttpServer
import java.io.File
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.time.Duration
import java.util.Base64
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/** The fake SMS gateway: receives `{"phone": "+7…", "text": "…"}` like the real provider's HTTP API. */
class FakeSmsGateway : AutoCloseable {
    private val texts = LinkedBlockingQueue<Pair<String, String>>()
    private val server: HttpServer = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0).apply {
        createContext("/sms") { exchange ->
            val body = exchange.requestBody.readBytes().toString(Charsets.UTF_8)
            texts.put(jsonString(body, "phone") to jsonString(body, "text"))
            val answer = """{"status":"ok"}""".toByteArray()
            exchange.sendResponseHeaders(200, answer.size.toLong())
            exchange.responseBody.use { it.write(answer) }
        }
        start()
    }

    val url: String get() = "http://127.0.0.1:${server.address.port}/sms"

    /** The code of the next SMS sent to `phone`: the last run of 4 or more digits in its text. */
    fun nextCode(phone: String): String {
        while (true) {
            val (to, text) = texts.poll(10, TimeUnit.SECONDS) ?: error("no SMS for $phone within 10 s")
            if (to == phone) return Regex("\\d{4,}").findAll(text).last().value
        }
    }

    override fun close() = server.stop(0)
}

/** A simo-backend process with its own SQLite database; can be stopped and started again on the same port. */
class TestBackend(private val sms: FakeSmsGateway) : AutoCloseable {
    private val binary = File(System.getProperty("simo.backend", "target/debug/simo-backend")).absoluteFile
    private val dir = Files.createTempDirectory("simo-backend").toFile()
    private val databaseUrl = "sqlite://${dir.absolutePath}/simo.db?mode=rwc"
    val port: Int = ServerSocket(0).use { it.localPort }
    val url: String get() = "http://127.0.0.1:$port"
    private var process: Process? = null
    val partnerToken: String

    init {
        require(binary.canExecute()) { "build the backend first: $binary" }
        val create = command(
            "partner", "create", "--inn", PARTNER_INN, "--name", "ООО Весна",
            "--full-name", "Общество с ограниченной ответственностью Весна", "--password", "secret123",
        ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
        val out = create.inputStream.readBytes().toString(Charsets.UTF_8)
        check(create.waitFor() == 0) { "partner create failed: $out" }
        partnerToken = jsonString(out, "token")
        start()
    }

    private fun command(vararg args: String) = ProcessBuilder(listOf(binary.path) + args).apply {
        environment()["SIMO_DATABASE_URL"] = databaseUrl
        environment()["SIMO_LISTEN"] = "127.0.0.1:$port"
        environment()["SIMO_SMS_PROVIDER"] = "http"
        environment()["SIMO_SMS_HTTP_URL"] = sms.url
        environment()["SIMO_LOG"] = "warn"
        // Tests log the same phone in several times within a minute.
        environment()["SIMO_SMS_RESEND_COOLDOWN_SECS"] = "0"
        environment()["SIMO_SMS_HOURLY_PER_PHONE"] = "1000"
        environment()["SIMO_SMS_HOURLY_PER_IP"] = "1000"
    }

    fun start() {
        process = command("serve").redirectOutput(File(dir, "serve.log")).redirectErrorStream(true).start()
        val deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos()
        while (System.nanoTime() < deadline) {
            if (runCatching { Socket("127.0.0.1", port).close() }.isSuccess) return
            check(process!!.isAlive) { "backend exited: " + File(dir, "serve.log").readText() }
            Thread.sleep(50)
        }
        error("backend did not listen on $port within 30 s")
    }

    fun stop() {
        process?.let { it.destroy(); it.waitFor(10, TimeUnit.SECONDS); if (it.isAlive) it.destroyForcibly().waitFor() }
        process = null
    }

    /**
     * Another program holding the database file (`BEGIN EXCLUSIVE` from Python's sqlite3) until
     * closed: the server's writes wait out its busy timeout, then are answered 503.
     */
    fun holdDatabase(): AutoCloseable {
        val script = "import sqlite3, sys\n" +
            "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n" +
            "db.execute('BEGIN EXCLUSIVE')\n" +
            "print('held', flush=True)\n" +
            "sys.stdin.read()\n"
        val holder = ProcessBuilder("python3", "-c", script, File(dir, "simo.db").path)
            .redirectError(ProcessBuilder.Redirect.INHERIT).start()
        val said = holder.inputStream.bufferedReader().readLine()
        check(said == "held") { "the database was not held: $said" }
        return AutoCloseable {
            holder.outputStream.close()
            if (!holder.waitFor(10, TimeUnit.SECONDS)) holder.destroyForcibly().waitFor()
        }
    }

    /** `POST /api/v1/createmessage` as the partner's system would; returns the new message id. */
    fun createMessage(
        staffId: String,
        title: String,
        text: String,
        requireAck: Boolean = false,
        fileIds: List<Long> = emptyList(),
    ): Long {
        val files = if (fileIds.isEmpty()) "" else fileIds.joinToString(",", ",\"fileids\":[", "]") { "\"$it\"" }
        val body = """{"inn":"$PARTNER_INN","staffid":"$staffId","title":${quote(title)},"message":${quote(text)},"requireack":$requireAck$files}"""
        return jsonString(asPartner("createmessage", body), "messageid").toLong()
    }

    /** `POST /api/v1/uploadfile` as the partner's system would; returns the file's id and its type as the server took it. */
    fun uploadFile(name: String, bytes: ByteArray): Pair<Long, String> {
        val body = """{"inn":"$PARTNER_INN","name":${quote(name)},"content":"${Base64.getEncoder().encodeToString(bytes)}"}"""
        val answer = asPartner("uploadfile", body)
        return jsonString(answer, "fileid").toLong() to jsonString(answer, "contenttype")
    }

    /** The message's status as the partner's system reads it (`getmessagestatus`). */
    fun statusOf(id: Long): String =
        jsonString(asPartner("getmessagestatus", """{"inn":"$PARTNER_INN","messageids":["$id"]}"""), "status")

    /** `POST /api/v1/recallmessage` as the partner's system would: the message is withdrawn. */
    fun recall(id: Long) {
        asPartner("recallmessage", """{"inn":"$PARTNER_INN","messageid":"$id"}""")
    }

    /** `POST /api/v1/updatestaff` as the partner's system would: the employee is renamed. */
    fun rename(staffId: String, name: String) {
        asPartner("updatestaff", """{"inn":"$PARTNER_INN","staffid":"$staffId","name":${quote(name)}}""")
    }

    /** `POST /api/v1/updatestaff` with `statusnotification` (`enabled` or `disabled`). */
    fun switchMailing(staffId: String, word: String) {
        asPartner("updatestaff", """{"inn":"$PARTNER_INN","staffid":"$staffId","statusnotification":"$word"}""")
    }

    /** `POST /api/v1/<method>` with the partner's token; returns the answer's body. */
    private fun asPartner(method: String, body: String): String {
        val request = HttpRequest.newBuilder(URI.create("$url/api/v1/$method"))
            .header("Authorization", partnerToken)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build()
        val response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() == 200) { "$method: ${response.statusCode()} ${response.body()}" }
        return response.body()
    }

    override fun close() {
        stop()
        dir.deleteRecursively()
    }

    companion object {
        const val PARTNER_INN = "7707083893"
    }
}

/** The string value of `key` in a flat JSON text (enough for these tests; no JSON library on the classpath). */
fun jsonString(json: String, key: String): String {
    val match = Regex("\"$key\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").find(json) ?: error("no \"$key\" in $json")
    return match.groupValues[1].replace("\\\"", "\"").replace("\\\\", "\\")
}

fun quote(text: String): String = "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\""

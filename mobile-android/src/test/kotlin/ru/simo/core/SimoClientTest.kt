// Smoke tests of the generated Kotlin bindings on a real JVM against a real server.
// The logic is tested in Rust (core/ and tests/); here we check that every exported call,
// record, error and callback crosses the FFI as the Android app will use it.
package ru.simo.core

import kotlinx.coroutines.runBlocking
import org.junit.AfterClass
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.BeforeClass
import org.junit.FixMethodOrder
import org.junit.Test
import org.junit.runners.MethodSorters
import java.nio.file.Files
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicInteger

class RecordingListener : SimoListener {
    val received = CopyOnWriteArrayList<Message>()
    val expired = AtomicInteger()
    val recalled = CopyOnWriteArrayList<Long>()
    override fun onNewMessages(messages: List<Message>) { received.addAll(messages) }
    override fun onMessagesRecalled(ids: List<Long>) { recalled.addAll(ids) }
    override fun onSessionExpired() { expired.incrementAndGet() }
}

@FixMethodOrder(MethodSorters.NAME_ASCENDING)
class SimoClientTest {
    companion object {
        private lateinit var sms: FakeSmsGateway
        private lateinit var backend: TestBackend
        private val phoneSeq = AtomicInteger(1000)

        @BeforeClass @JvmStatic fun startServer() {
            sms = FakeSmsGateway()
            backend = TestBackend(sms)
        }

        @AfterClass @JvmStatic fun stopServer() {
            backend.close()
            sms.close()
        }
    }

    private fun newPhone() = "+7999000${phoneSeq.incrementAndGet()}"
    private fun newClient(url: String = backend.url) =
        SimoClient(url, Files.createTempDirectory("simo-core").toString())

    private suspend fun SimoClient.login(phone: String, name: String = "Иванов А. И."): Profile {
        val answer = requestCode(TestBackend.PARTNER_INN, phone, name, Device.ANDROID)
        assertTrue("server message: $answer", answer.isNotBlank())
        return confirmCode(sms.nextCode(phone))
    }

    @Test fun a_fullFlow_loginPushTokenSyncOfflineReadSearchLogout() = runBlocking {
        val phone = newPhone()
        val dataDir = Files.createTempDirectory("simo-core").toString()
        val client = SimoClient(backend.url, dataDir)
        val listener = RecordingListener()
        client.setListener(listener)

        val profile = client.login(phone)
        assertEquals(phone, profile.phone)
        assertEquals(TestBackend.PARTNER_INN, profile.inn)
        assertEquals("ООО Весна", profile.companyName)
        client.registerPushToken("fcm-token-${phone.takeLast(4)}")

        val id = backend.createMessage(profile.staffId, "Собрание", "Общее собрание в пятницу в 15:00")
        val report = client.sync()
        assertEquals(listOf(id), report.newMessages.map { it.id })
        assertFalse("nothing changed since the login", report.profileChanged)
        assertEquals(listOf(id), listener.received.map { it.id })
        assertEquals(1u, client.unreadCount())

        // The company renames the employee: the next sync brings the new name.
        backend.rename(profile.staffId, "Иванов Андрей Иванович")
        assertTrue(client.sync().profileChanged)
        assertEquals(profile.copy(staffName = "Иванов Андрей Иванович"), client.profile())

        // The company switches the employee off the mailing: the app's profile says so.
        assertEquals(StaffState.ACTIVE, profile.state)
        backend.switchMailing(profile.staffId, "disabled")
        assertTrue(client.sync().profileChanged)
        assertEquals(StaffState.DISABLED, client.profile()!!.state)
        backend.switchMailing(profile.staffId, "enabled")
        assertTrue(client.sync().profileChanged)
        assertEquals(StaffState.ACTIVE, client.profile()!!.state)

        // A second client on the same data directory restores the session.
        val restored = SimoClient(backend.url, dataDir)
        assertEquals(client.profile(), restored.profile())

        backend.stop()
        try {
            val offline = client.messages(50u, null)
            assertEquals("Собрание", offline.single().title)
            assertEquals("Общее собрание в пятницу в 15:00", client.message(id)!!.text)
            assertEquals(listOf(id), client.search("пятниц").map { it.id })
            assertTrue(client.search("отпуск").isEmpty())
            client.markRead(id) // queued: no error while the server is down
            assertEquals(0u, client.unreadCount())
            try {
                client.sync()
                fail("sync must fail without a server")
            } catch (e: ApiException.Network) {
                assertTrue(e.reason.isNotBlank())
            }
        } finally {
            backend.start()
        }
        val flushed = client.sync()
        assertEquals(1u, flushed.reportsSent)
        assertEquals(0u, flushed.reportsPending)

        client.logout()
        assertNull(client.profile())
        assertTrue(client.messages(50u, null).isEmpty())

        // The read report reached the server: a fresh login sees the message read.
        val again = newClient()
        again.login(phone)
        again.sync()
        assertTrue(again.message(id)!!.isRead)
    }

    @Test fun b_pushPayloadIsStoredBeforeSync() = runBlocking {
        val client = newClient()
        val profile = client.login(newPhone())
        val id = backend.createMessage(profile.staffId, "Пуш", "Текст из уведомления")
        val shown = client.handlePush("""{"messageid":"$id","title":"Пуш","message":"Текст из уведомления","extra":"1"}""")
        assertEquals(id, shown.messageId)
        assertTrue(shown.isNew)
        assertEquals(1u, shown.unreadCount)
        assertEquals("Текст из уведомления", client.message(id)!!.text)
        assertFalse(client.handlePush("""{"messageid":"$id","title":"Пуш","message":"x"}""").isNew)
        assertTrue("the push already brought it", client.sync().newMessages.isEmpty())
    }

    @Test fun c_typedErrorsReachKotlin() = runBlocking {
        val client = newClient()
        expect<ApiException.InvalidInput>("bad INN checksum") {
            client.requestCode("7707083894", newPhone(), "Иванов", Device.ANDROID)
        }
        expect<ApiException.InvalidInput>("landline") {
            client.requestCode(TestBackend.PARTNER_INN, "+74951234567", "Иванов", Device.ANDROID)
        }
        val unknown = expect<ApiException.InvalidInput>("unknown organisation") {
            client.requestCode("7736207543", newPhone(), "Иванов", Device.ANDROID)
        }
        assertTrue("server's message in Russian: ${unknown.reason}", unknown.reason.any { it in 'А'..'я' })
        val phone = newPhone()
        client.requestCode(TestBackend.PARTNER_INN, phone, "Петров П. П.", Device.APPLE)
        val code = sms.nextCode(phone)
        val wrong = if (code == "0000") "1111" else "0000".padEnd(code.length, '0')
        expect<ApiException.InvalidInput>("wrong code") { client.confirmCode(wrong) }
        expect<ApiException.Unauthorized>("sync before login") { client.sync() }
        expect<ApiException.Network>("no server") {
            newClient("http://127.0.0.1:1").requestCode(TestBackend.PARTNER_INN, phone, "Петров", Device.APPLE)
        }
        expect<ApiException.InvalidInput>("bad server URL") { SimoClient("ftp://x", Files.createTempDirectory("s").toString()) }
        assertNotNull(client.confirmCode(code))
    }

    @Test fun d_aNewLoginElsewhereExpiresTheSession() = runBlocking {
        val phone = newPhone()
        val first = newClient()
        val listener = RecordingListener()
        first.setListener(listener)
        first.login(phone)
        newClient().login(phone)
        expect<ApiException.Unauthorized>("old token") { first.sync() }
        assertEquals(1, listener.expired.get())
        assertNull(first.profile())
    }

    @Test fun e_anEnglishPhoneGetsEnglishWordsFromTheCoreAndTheServer() = runBlocking {
        setLanguage("en-US")
        try {
            val client = newClient()
            val checksum = expect<ApiException.InvalidInput>("bad INN checksum") {
                client.requestCode("7707083894", newPhone(), "Ivanov", Device.ANDROID)
            }
            assertEquals("Wrong INN: its check digit does not match", checksum.reason)
            val unknown = expect<ApiException.InvalidInput>("unknown organisation") {
                client.requestCode("7736207543", newPhone(), "Ivanov", Device.ANDROID)
            }
            assertEquals("Login failed. There is no company with this INN", unknown.reason)
            val phone = newPhone()
            client.requestCode(TestBackend.PARTNER_INN, phone, "Petrov P.", Device.APPLE)
            val code = sms.nextCode(phone)
            val wrong = if (code == "0000") "1111" else "0000".padEnd(code.length, '0')
            val refused = expect<ApiException.InvalidInput>("wrong code") { client.confirmCode(wrong) }
            assertEquals("Wrong code", refused.reason)
            val loggedOut = expect<ApiException.Unauthorized>("sync before login") { newClient().sync() }
            assertEquals("Not logged in", loggedOut.reason)
        } finally {
            setLanguage("ru-RU")
        }
        val back = expect<ApiException.InvalidInput>("Russian again") {
            newClient().requestCode("7736207543", newPhone(), "Иванов", Device.ANDROID)
        }
        assertEquals("Ошибка авторизации. Организации с таким ИНН не существует", back.reason)
    }

    @Test fun f_aRecalledMessageIsDeletedAtTheNextSyncAndTheListenerIsTold() = runBlocking {
        val client = newClient()
        val listener = RecordingListener()
        client.setListener(listener)
        val profile = client.login(newPhone())
        val kept = backend.createMessage(profile.staffId, "Собрание", "В пятницу")
        val wrong = backend.createMessage(profile.staffId, "Премия", "Всем по миллиону")
        assertEquals(listOf(wrong, kept), client.sync().newMessages.map { it.id })

        backend.recall(wrong)
        val report = client.sync()
        assertEquals(listOf(wrong), report.recalled)
        assertEquals(listOf(wrong), listener.recalled.toList())
        assertNull(client.message(wrong))
        assertEquals(listOf(kept), client.messages(50u, null).map { it.id })
        assertTrue(client.search("миллиону").isEmpty())
        assertEquals(1u, client.unreadCount())

        // A recall push deletes at once, with nothing to show.
        backend.recall(kept)
        val shown = client.handlePush("""{"recalled":"$kept"}""")
        assertTrue(shown.recalled)
        assertFalse(shown.isNew)
        assertEquals(kept, shown.messageId)
        assertTrue(client.messages(50u, null).isEmpty())
        assertEquals(listOf(wrong, kept), listener.recalled.toList())
    }

    @Test fun g_anOrderIsAcknowledgedOnceAndTheCompanySeesIt() = runBlocking {
        val client = newClient()
        val profile = client.login(newPhone())
        val order = backend.createMessage(profile.staffId, "Приказ № 7", "Смена с 8:00", requireAck = true)
        val news = backend.createMessage(profile.staffId, "Новость", "Без подписи")
        client.sync()
        val asked = client.message(order)!!
        assertTrue(asked.ackRequired)
        assertNull(asked.ackedAt)
        assertFalse(client.message(news)!!.ackRequired)
        assertEquals(listOf(order), client.awaitingAck().map { it.id })
        // A reminder (FCM's data of one) is shown again, worded as a reminder, until acknowledged.
        val reminder = """{"messageid":"$order","title":"Приказ № 7","message":"Смена с 8:00","requireack":"1","reminder":"1"}"""
        val shown = client.handlePush(reminder)
        assertTrue(shown.reminder)
        assertFalse(shown.isNew)

        client.acknowledge(order)
        assertFalse("acknowledged here: nothing to remind of", client.handlePush(reminder).reminder)
        val done = client.message(order)!!
        assertNotNull(done.ackedAt)
        assertTrue(done.isRead)
        assertTrue(client.awaitingAck().isEmpty())
        assertEquals("acknowledged", backend.statusOf(order))
        // Pressed twice, nothing more happens.
        client.acknowledge(order)

        expect<ApiException.InvalidInput>("a message that did not ask") { client.acknowledge(news) }
        // The sync reported it delivered; pressing on it changed nothing more.
        assertEquals("delivered", backend.statusOf(news))
        // The next sync keeps the time the server has.
        client.sync()
        assertNotNull(client.message(order)!!.ackedAt)
    }

    @Test fun h_theUnreadAreListedThenEverythingIsReadAtOnceAndTheCompanySeesIt() = runBlocking {
        val client = newClient()
        val profile = client.login(newPhone())
        val ids = listOf("Смена", "Премия", "Собрание").map { backend.createMessage(profile.staffId, it, "Текст") }
        client.sync()
        assertEquals(3u, client.unreadCount())
        // "Непрочитанные": newest first, a page at a time; one read leaves the list.
        client.markRead(ids[1])
        assertEquals(listOf("Собрание", "Смена"), client.unreadMessages(50u, null).map { it.title })
        assertEquals(listOf("Смена"), client.unreadMessages(50u, ids[2]).map { it.title })
        assertEquals(2u, client.markAllRead())
        assertEquals(0u, client.unreadCount())
        assertTrue(client.messages(50u, null).all { it.isRead })
        assertEquals(listOf("read", "read", "read"), ids.map { backend.statusOf(it) })
        assertTrue(client.unreadMessages(50u, null).isEmpty())
        assertEquals("nothing left to read", 0u, client.markAllRead())
    }

    @Test fun i_aServerWhoseDatabaseIsHeldIsUnavailableForAWhile() = runBlocking {
        val client = newClient()
        val phone = newPhone()
        backend.holdDatabase().use {
            val unavailable = expect<ApiException.Unavailable>("the database held by another program") {
                client.requestCode(TestBackend.PARTNER_INN, phone, "Сидоров С. С.", Device.ANDROID)
            }
            assertTrue(unavailable.reason, unavailable.reason.contains("база данных занята"))
            assertEquals("the server's Retry-After", 5uL, unavailable.retryAfterSeconds)
        }
        // Released: the same request goes through, and the login with it.
        client.requestCode(TestBackend.PARTNER_INN, phone, "Сидоров С. С.", Device.ANDROID)
        assertEquals("Сидоров С. С.", client.confirmCode(sms.nextCode(phone)).staffName)
    }

    @Test fun j_aFileOfAMessageIsListedDownloadedOnceAndReadOffline() = runBlocking {
        val client = newClient()
        val profile = client.login(newPhone())
        val bytes = "%PDF-1.4\n".toByteArray() + ByteArray(4096) { it.toByte() }
        val (fileId, contentType) = backend.uploadFile("Расчётный листок.pdf", bytes)
        val id = backend.createMessage(profile.staffId, "Расчётный листок", "За ноябрь", fileIds = listOf(fileId))
        client.sync()
        val listed = client.message(id)!!.files.single()
        assertEquals(MessageFile(fileId, "Расчётный листок.pdf", bytes.size.toULong(), contentType, false), listed)
        assertEquals("application/pdf", listed.contentType)

        assertArrayEquals(bytes, client.file(id, fileId))
        assertTrue(client.message(id)!!.files.single().downloaded)
        backend.stop()
        try {
            assertArrayEquals("from the cache, offline", bytes, client.file(id, fileId))
        } finally {
            backend.start()
        }

        val stranger = newClient()
        stranger.login(newPhone())
        val refused = expect<ApiException.NotFound>("another employee's file") { stranger.file(id, fileId) }
        assertTrue("the server's words: ${refused.reason}", refused.reason.isNotBlank())
    }

    private inline fun <reified E : ApiException> expect(what: String, block: () -> Unit): E {
        try {
            block()
        } catch (e: ApiException) {
            if (e is E) return e
            fail("$what: expected ${E::class.simpleName}, got $e")
        }
        fail("$what: expected ${E::class.simpleName}, nothing thrown")
        throw AssertionError()
    }
}

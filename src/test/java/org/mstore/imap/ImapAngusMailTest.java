package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.angus.mail.imap.IMAPFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.Setting;
import org.mstore.testing.TestStore;

import jakarta.mail.FetchProfile;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.UIDFolder;
import jakarta.mail.event.MessageCountAdapter;
import jakarta.mail.event.MessageCountEvent;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;

/** A real IMAP client library (Angus Mail, Jakarta Mail's implementation) against the server. */
class ImapAngusMailTest {
    @TempDir
    Path dir;

    private static Store connect(ImapFixture f) throws Exception {
        Properties p = new Properties();
        p.put("mail.imap.host", "127.0.0.1");
        p.put("mail.imap.port", Integer.toString(f.port()));
        p.put("mail.imap.connectiontimeout", "10000");
        p.put("mail.imap.timeout", "20000");
        Session session = Session.getInstance(p);
        Store store = session.getStore("imap");
        store.connect("127.0.0.1", f.port(), "alice", ImapFixture.PASSWORD);
        return store;
    }

    private static MimeMessage message(Session s, int i) throws Exception {
        MimeMessage m = new MimeMessage(s);
        m.setFrom(new InternetAddress("bob@example.com", "Bob Sender"));
        m.setRecipients(Message.RecipientType.TO, "alice@example.com");
        m.setSubject("Message " + i);
        MimeMultipart mp = new MimeMultipart();
        MimeBodyPart text = new MimeBodyPart();
        text.setText("Hello number " + i, "UTF-8");
        MimeBodyPart att = new MimeBodyPart();
        att.setText("attached " + i);
        att.setFileName("note" + i + ".txt");
        mp.addBodyPart(text);
        mp.addBodyPart(att);
        m.setContent(mp);
        m.saveChanges();
        return m;
    }

    @Test
    void angus_mail_logs_in_lists_appends_fetches_flags_expunges_and_the_queue_reacts() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir)) {
            f.engine.settings().set(Setting.CLEANUP_SIZE, "2");
            Store store = connect(f);
            try {
                Folder root = store.getDefaultFolder();
                assertThat(Arrays.stream(root.list("*")).map(Folder::getFullName)).containsExactly("INBOX");
                Folder archive = store.getFolder("Archive");
                assertThat(archive.create(Folder.HOLDS_MESSAGES)).isTrue();
                assertThat(Arrays.stream(root.list("*")).map(Folder::getFullName)).containsExactlyInAnyOrder("INBOX", "Archive");

                Folder inbox = store.getFolder("INBOX");
                Session s = Session.getInstance(new Properties());
                Message[] news = new Message[5];
                for (int i = 0; i < news.length; i++) {
                    news[i] = message(s, i);
                }
                inbox.appendMessages(news);

                inbox.open(Folder.READ_WRITE);
                assertThat(inbox.getMessageCount()).isEqualTo(5);
                Message[] all = inbox.getMessages();
                FetchProfile fp = new FetchProfile();
                fp.add(FetchProfile.Item.ENVELOPE);
                fp.add(FetchProfile.Item.FLAGS);
                fp.add(FetchProfile.Item.CONTENT_INFO);
                fp.add(UIDFolder.FetchProfileItem.UID);
                inbox.fetch(all, fp);
                assertThat(all[2].getSubject()).isEqualTo("Message 2");
                assertThat(((InternetAddress) all[2].getFrom()[0]).getPersonal()).isEqualTo("Bob Sender");
                assertThat(all[2].getContentType()).startsWithIgnoringCase("multipart/mixed");
                MimeMultipart mp = (MimeMultipart) all[2].getContent(); // BODYSTRUCTURE and BODY[1], BODY[2]
                assertThat(mp.getCount()).isEqualTo(2);
                assertThat(mp.getBodyPart(0).getContent()).isEqualTo("Hello number 2");
                assertThat(mp.getBodyPart(1).getFileName()).isEqualTo("note2.txt");
                assertThat(mp.getBodyPart(1).getContent()).isEqualTo("attached 2");
                assertThat(all[2].isSet(Flags.Flag.SEEN)).isTrue(); // a BODY[] fetch sets \Seen
                assertThat(((UIDFolder) inbox).getUID(all[4])).isEqualTo(5);

                inbox.copyMessages(new Message[] {all[0]}, archive);
                for (int i = 0; i < 3; i++) {
                    all[i].setFlag(Flags.Flag.DELETED, true);
                }
                Message[] gone = inbox.expunge();
                assertThat(gone).hasSize(3);
                assertThat(inbox.getMessageCount()).isEqualTo(2);
                inbox.close(false);

                // the seed: Expunged counted, Clean queued past store.cleanupsize, exactly as the command line does
                assertThat(f.engine.mailboxes().get("user/alice").expunged()).isEqualTo(3);
                assertThat(f.engine.queue().find("user/alice", Action.CLEAN)).isPresent();
                assertThat(f.engine.mailboxes().get("user/alice/Archive").messageCount()).isEqualTo(1);
            } finally {
                store.close();
            }
        }
    }

    @Test
    void angus_mail_idles_and_hears_new_mail() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir)) {
            Store store = connect(f);
            try {
                IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
                inbox.open(Folder.READ_WRITE);
                CountDownLatch added = new CountDownLatch(1);
                AtomicInteger count = new AtomicInteger();
                inbox.addMessageCountListener(new MessageCountAdapter() {
                    @Override
                    public void messagesAdded(MessageCountEvent e) {
                        count.addAndGet(e.getMessages().length);
                        added.countDown();
                    }
                });
                Thread idler = new Thread(() -> {
                    try {
                        inbox.idle(true);
                    } catch (Exception ignored) {
                        // the test's assertions say what went wrong
                    }
                });
                idler.start();
                Thread.sleep(500);
                f.engine.mailboxes().append("user/alice", TestStore.news(java.util.List.of(TestStore.message("new", "mail\r\n")),
                        System.currentTimeMillis(), 0));
                assertThat(added.await(10, TimeUnit.SECONDS)).as("IDLE heard the new message").isTrue();
                idler.join(10_000);
                assertThat(count.get()).isEqualTo(1);
                assertThat(inbox.getMessage(1).getSubject()).isEqualTo("new");
                inbox.close(false);
            } finally {
                store.close();
            }
        }
    }
}

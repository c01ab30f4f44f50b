package org.mstore.users;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.mstore.api.MailboxName;
import org.mstore.api.NoSuchUserException;
import org.mstore.api.ReadOnlyStoreException;
import org.mstore.api.UserInfo;
import org.mstore.backend.UserStore;
import org.mstore.mailbox.MailboxService;
import org.mstore.mailbox.StoreContext;

/**
 * The mail users' rules, written once over the backend's {@link UserStore}: passwords become {@link Passwords}
 * credentials before they reach the backend, a new user gets an INBOX, a user's subscriptions are their own mailboxes.
 */
public final class UserService {
    /** The shortest password accepted. */
    public static final int MIN_PASSWORD = 8;
    private final StoreContext ctx;
    private final MailboxService mailboxes;

    public UserService(StoreContext ctx, MailboxService mailboxes) {
        this.ctx = ctx;
        this.mailboxes = mailboxes;
    }

    private UserStore store() {
        return ctx.backend().users();
    }

    private void requireWritable(String what) {
        if (ctx.readOnly()) {
            throw new ReadOnlyStoreException(what);
        }
    }

    private static UserInfo info(UserStore.StoredUser u) {
        return new UserInfo(u.name(), Instant.ofEpochMilli(u.created()), Instant.ofEpochMilli(u.passwordChanged()));
    }

    /** Validates a user name as the INBOX name {@code user/NAME} would, in words about a user name. */
    static String validName(String user) {
        return MailboxName.validUser(user);
    }

    private static void checkPassword(char[] password) {
        if (password == null || password.length < MIN_PASSWORD) {
            throw new IllegalArgumentException("the password is too short: use at least " + MIN_PASSWORD + " characters");
        }
        for (char c : password) {
            if (Character.isISOControl(c)) {
                throw new IllegalArgumentException("the password contains a control character");
            }
        }
    }

    public List<UserInfo> list() {
        return store().list().stream().map(UserService::info).toList();
    }

    public Optional<UserInfo> find(String user) {
        return store().get(user).map(UserService::info);
    }

    public UserInfo add(String user, char[] password) throws IOException {
        requireWritable("add a user");
        String name = validName(user);
        checkPassword(password);
        long now = ctx.now();
        UserStore.StoredUser u = new UserStore.StoredUser(name, Passwords.hash(password), now, now);
        if (!store().insert(u)) {
            throw new IllegalArgumentException("user already exists: " + name);
        }
        String inbox = "user/" + name;
        if (ctx.mboxlist().get(inbox).isEmpty()) {
            mailboxes.create(inbox, org.mstore.api.Mailboxes.DEFAULT_PARTITION);
        }
        return info(u);
    }

    public void setPassword(String user, char[] password) {
        requireWritable("change a password");
        checkPassword(password);
        if (!store().updateCredential(user, Passwords.hash(password), ctx.now())) {
            throw new NoSuchUserException(user);
        }
    }

    public void delete(String user) {
        requireWritable("delete a user");
        if (!store().delete(user)) {
            throw new NoSuchUserException(user);
        }
    }

    public boolean authenticate(String user, char[] password) {
        Optional<UserStore.StoredUser> u = user == null || user.isEmpty() ? Optional.empty() : store().get(user);
        return Passwords.verify(password == null ? new char[0] : password, u.map(UserStore.StoredUser::credential).orElse(null));
    }

    public List<String> subscriptions(String user) {
        return store().subscriptions(user);
    }

    public void subscribe(String user, String mailbox) {
        requireWritable("subscribe");
        ownMailbox(user, mailbox);
        store().subscribe(user, mailbox);
    }

    public void unsubscribe(String user, String mailbox) {
        requireWritable("unsubscribe");
        store().unsubscribe(user, mailbox);
    }

    private static void ownMailbox(String user, String mailbox) {
        MailboxName m = MailboxName.parse(mailbox);
        if (!m.user().equals(user)) {
            throw new IllegalArgumentException(mailbox + " is not a mailbox of " + user);
        }
    }
}

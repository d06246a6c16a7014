// The DNS-caching lab's JVM lanes (cli/labruntimes.h): a real JVM with
// Debian's PostgreSQL JDBC driver, writing through the instance's endpoint
// NAME every 100 ms and printing one line per attempt on stdout:
//   <start ms> <end ms> ok <server address> <server ms>
//   <start ms> <end ms> fail <SQLSTATE or -> <message>
// (wall-clock ms; the lab parses these strictly).
//
//   java LabJdbc plain|hikari ENDPOINT PORT USER DBNAME RUN CLIENT default|TTL
// The password comes from $PGPASSWORD (never on the command line).
//
// plain: one connection, dropped on any error; the next attempt reconnects
//        through DriverManager, so the JVM's InetAddress cache decides the
//        address.
// hikari: HikariCP (Debian's libhikaricp-java) with its defaults
//        (maxLifetime 30 min, no keepalive in 2.7.9, validation by
//        Connection.isValid) except a pool of 4, as the lab's `pool`
//        model, and a 2 s connectionTimeout so a failover shows as
//        failed attempts rather than 30 s stalls.
// TTL: "default" leaves the JDK's positive cache alone (30 s with no
// security manager); a number sets the security property
// networkaddress.cache.ttl before any lookup, as AWS's guides show
// (java.security.Security.setProperty, docs/lab.md).
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;

public final class LabJdbc {
    private static final String INSERT =
        "INSERT INTO rdsim_lab (run, client, seq) VALUES (?, ?, ?) "
        + "RETURNING host(inet_server_addr()), (extract(epoch FROM clock_timestamp()) * 1000)::bigint";
    private static final int PERIOD_MS = 100;
    private static final int MESSAGE_MAX = 200;

    private LabJdbc() {}

    /* One line: printable ASCII only, bounded, so the lab's parser sees
     * what it expects whatever an exception says. */
    private static String clean(String s) {
        if (s == null)
            return "";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < MESSAGE_MAX; i++) {
            char ch = s.charAt(i);
            b.append(ch >= 0x20 && ch < 0x7f ? ch : ' ');
        }
        return b.toString();
    }

    private static String describe(SQLException e) {
        String m = e.getMessage();
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null)
            m = m + " (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")";
        return clean(m);
    }

    private static void insert(Connection c, long run, String client, long seq, long start)
        throws SQLException {
        try (PreparedStatement st = c.prepareStatement(INSERT)) {
            st.setQueryTimeout(2);
            st.setLong(1, run);
            st.setString(2, client);
            st.setLong(3, seq);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next())
                    throw new SQLException("no row returned", "XX000");
                String addr = rs.getString(1);
                long server = rs.getLong(2);
                System.out.println(start + " " + System.currentTimeMillis() + " ok "
                                   + clean(addr) + " " + server);
            }
        }
    }

    private static void fail(long start, SQLException e) {
        String state = e.getSQLState();
        if (state == null || !state.matches("[0-9A-Z]{5}"))
            state = "-";
        System.out.println(start + " " + System.currentTimeMillis() + " fail " + state + " "
                           + describe(e));
    }

    private static void pause() {
        try {
            Thread.sleep(PERIOD_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void plain(String url, Properties props, long run, String client) {
        Connection c = null;
        for (long seq = 1; ; seq++) {
            long start = System.currentTimeMillis();
            try {
                if (c == null)
                    c = DriverManager.getConnection(url, props);
                insert(c, run, client, seq, start);
            } catch (SQLException e) {
                fail(start, e);
                try {
                    if (c != null)
                        c.close();
                } catch (SQLException ignored) {
                    // the connection is gone either way
                }
                c = null;
            }
            pause();
        }
    }

    private static void hikari(String url, Properties props, long run, String client) {
        com.zaxxer.hikari.HikariConfig cfg = new com.zaxxer.hikari.HikariConfig();
        cfg.setJdbcUrl(url);
        cfg.setUsername(props.getProperty("user"));
        cfg.setPassword(props.getProperty("password"));
        cfg.setMaximumPoolSize(4);
        cfg.setConnectionTimeout(2000);
        cfg.setInitializationFailTimeout(-1); // start even if the first connect fails
        com.zaxxer.hikari.HikariDataSource ds = new com.zaxxer.hikari.HikariDataSource(cfg);
        for (long seq = 1; ; seq++) {
            long start = System.currentTimeMillis();
            // A statement error such as 25006 returns the connection to
            // the pool; HikariCP evicts it only for SQLSTATE class 08 and
            // 57P01-57P03 (its ProxyConnection.checkException).
            try (Connection c = ds.getConnection()) {
                insert(c, run, client, seq, start);
            } catch (SQLException e) {
                fail(start, e);
            }
            pause();
        }
    }

    public static void main(String[] args) {
        if (args.length != 8) {
            System.err.println("usage: LabJdbc plain|hikari ENDPOINT PORT USER DBNAME RUN CLIENT default|TTL");
            System.exit(2);
        }
        if (!args[7].equals("default"))
            java.security.Security.setProperty("networkaddress.cache.ttl",
                                               Integer.toString(Integer.parseInt(args[7])));
        String url = "jdbc:postgresql://" + args[1] + ":" + Integer.parseInt(args[2]) + "/" + args[4]
                     + "?connectTimeout=2&socketTimeout=3&sslmode=prefer";
        Properties props = new Properties();
        props.setProperty("user", args[3]);
        String pw = System.getenv("PGPASSWORD");
        props.setProperty("password", pw == null ? "" : pw);
        long run = Long.parseLong(args[5]);
        if (args[0].equals("hikari"))
            hikari(url, props, run, args[6]);
        else
            plain(url, props, run, args[6]);
    }
}

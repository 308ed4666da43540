#!/bin/sh
# Build step: the HestiaCP layout (panel user, mail domain, ssl folders) and a key for the first-start fallback cert.
set -eu
# HestiaCP adds Exim to the mail group so it can reach Dovecot's auth socket and mailboxes.
usermod -a -G mail Debian-exim
# Dovecot's auth process reads the per-domain passwd files, which belong to the mail group.
usermod -a -G mail dovecot
useradd -m -s /usr/sbin/nologin admin
# Mail domain domaine.tld owned by the panel user "admin", mailbox alice.
mkdir -p /etc/exim4/domains/domaine.tld /home/admin/mail/domaine.tld/alice
hash=$(doveadm pw -s MD5-CRYPT -p lab-alice-pw)
printf 'alice:%s:admin:mail::/home/admin::userdb_quota_rule=*:storage=0M\n' "$hash" > /etc/exim4/domains/domaine.tld/passwd
printf 'postmaster@domaine.tld:alice@domaine.tld\nabuse@domaine.tld:alice@domaine.tld\n' > /etc/exim4/domains/domaine.tld/aliases
chown -R admin:mail /etc/exim4/domains/domaine.tld; chmod 750 /etc/exim4/domains/domaine.tld
chmod 640 /etc/exim4/domains/domaine.tld/passwd /etc/exim4/domains/domaine.tld/aliases
chown -R admin:mail /home/admin/mail; chmod 751 /home/admin; chmod -R 770 /home/admin/mail
# Dovecot's passdb is the passwd-file above, not PAM.
sed -i 's/^!include auth-system.conf.ext/#!include auth-system.conf.ext/' /etc/dovecot/conf.d/10-auth.conf
mkdir -p /usr/local/hestia/ssl/mail /usr/local/share/smtp-tls-lab
# RSA key made now so the fallback certificate made at first start costs one signature, not a key generation.
openssl genrsa -out /usr/local/share/smtp-tls-lab/fallback.key 2048 2>/dev/null
chmod 600 /usr/local/share/smtp-tls-lab/fallback.key
rm -f /etc/exim4/exim4.conf
# Debian's init script finds the running daemon with --exec, which reads /proc/PID/exe: a setuid Exim that dropped to
# Debian-exim is unreadable there without CAP_SYS_PTRACE (not granted in the lab), so stop/reload would find nothing.
# Matching by process name keeps `systemctl reload exim4` and `restart` working as the course writes them.
sed -i 's|--exec "$DAEMON"|--name exim4|' /etc/init.d/exim4
grep -q -- '--name exim4' /etc/init.d/exim4
touch /var/log/dovecot.log
update-exim4.conf
doveconf -n >/dev/null

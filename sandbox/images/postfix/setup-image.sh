#!/bin/sh
# Build step: what a Debian admin's first minutes on mail.domaine.tld leave behind, nothing more.
set -eu
# The snakeoil pair is what ssl-cert makes at install on a host of this name (the build host's name is random).
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mail.domaine.tld" \
  -addext "subjectAltName=DNS:mail.domaine.tld" \
  -keyout /etc/ssl/private/ssl-cert-snakeoil.key -out /etc/ssl/certs/ssl-cert-snakeoil.pem 2>/dev/null
chown root:ssl-cert /etc/ssl/private/ssl-cert-snakeoil.key; chmod 640 /etc/ssl/private/ssl-cert-snakeoil.key
# Only host-specific values change; the rest of main.cf stays Debian's (incl. its snakeoil STARTTLS lines).
postconf -e myhostname=mail.domaine.tld 'mydestination=$myhostname, domaine.tld, localhost.localdomain, localhost'
# No syslog daemon in the container: Postfix's own postlogd writes the usual file.
postconf -e maillog_file=/var/log/mail.log
grep -q '^postlog' /etc/postfix/master.cf || postconf -M postlog/unix-dgram='postlog unix-dgram n - n - 1 postlogd'
newaliases
# Test mailbox: a system user, so Postfix's local(8) delivers to /var/mail/alice.
useradd -m -s /usr/sbin/nologin alice
hash=$(doveadm pw -s SHA512-CRYPT -p lab-alice-pw)
uid=$(id -u alice); gid=$(id -g alice)
printf 'alice@domaine.tld:%s:%s:%s::/home/alice::\nalice:%s:%s:%s::/home/alice::\n' "$hash" "$uid" "$gid" "$hash" "$uid" "$gid" > /etc/dovecot/users
chown root:dovecot /etc/dovecot/users; chmod 640 /etc/dovecot/users
# Dovecot authenticates from the passwd-file (auth-passwdfile.conf.ext ships with Debian) instead of PAM.
sed -i -e 's/^!include auth-system.conf.ext/#!include auth-system.conf.ext/' \
       -e 's/^#!include auth-passwdfile.conf.ext/!include auth-passwdfile.conf.ext/' /etc/dovecot/conf.d/10-auth.conf
touch /var/log/mail.log /var/log/dovecot.log
doveconf -n >/dev/null
postfix check

# The lab's Cloudflare credentials in every shell of the mail host, as an admin keeps them in a shell profile: the
# guide's `curl … $CF_Token …` and `acme.sh --issue --dns dns_cf` then run as written. Loaded by login shells
# (/etc/profile.d), interactive ones (/etc/bash.bashrc) and `bash -c` (BASH_ENV, set in the image).
# Once per process tree: acme.sh runs under bash too, and must keep what its caller changed (`unset CF_Zone_ID`).
if [ -z "${LAB_CF_ENV_LOADED:-}" ] && [ -r /etc/lab/cloudflare.env ]; then
  . /etc/lab/cloudflare.env
  export LAB_CF_ENV_LOADED=1
fi

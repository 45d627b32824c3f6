package main

const apiToken = "CbiqywKQuvim9ferQV40w7HmIiFXc1lnpkzPaxep"

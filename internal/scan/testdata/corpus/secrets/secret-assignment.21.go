package main

const apiToken = "wSKTSODiHPKoXcfSkgOAVEMugnu4iZMaoWEky40E"

export DB_PASSWORD='ZNPNRD4284!hkwisjy'
./migrate

export DB_PASSWORD='XUTVCC8373-tzorzid'
./migrate

export DB_PASSWORD='EQATET3322-qymffey'
./migrate

package db

func dsn(u, p, h string) string {
	return fmt.Sprintf("postgres://%s:%s@%s/app", u, p, h)
}

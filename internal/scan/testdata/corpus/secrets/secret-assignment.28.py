DEBUG = False
SECRET_KEY = "81oriEtnIDWEnWTyjzkaw*RY(TtU@u6ZaOLY#uC+#Q_XG@_ygC"

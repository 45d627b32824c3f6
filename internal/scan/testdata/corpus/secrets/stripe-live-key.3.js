const stripe = require('stripe')('sk_live_5NqMV3wxA4JjFFuHzbiBgi98');

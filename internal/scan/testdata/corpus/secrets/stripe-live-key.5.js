const stripe = require('stripe')('sk_live_mijyEiEuegf7xZ4MXYhMLku0');

const stripe = require('stripe')('sk_live_iO9I4Z5iDxJzdWlcmwD2TFXs');

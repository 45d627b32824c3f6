git clone https://x-access-token:ghs_nQKktkNQdp3e7RRHoqf29NuQQeEsHSkOvBAK@github.com/o/r.git

module signet.dev/client

go 1.19

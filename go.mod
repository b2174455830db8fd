module github.com/mockftpd/mockftpd

go 1.26.8

require (
	github.com/fclairamb/ftpserverlib v0.32.3 // indirect
	github.com/jlaffaye/ftp v0.2.4 // indirect
	github.com/spf13/afero v1.15.0 // indirect
	go.uber.org/goleak v1.3.0 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/text v0.28.0 // indirect
)

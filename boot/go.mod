module boot.zoufang/locale

go 1.26.0

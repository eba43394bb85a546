-- +goose Up
CREATE TABLE IF NOT EXISTS `releases` (
  `name` VARCHAR(100) NOT NULL,
  `product` VARCHAR(15) NOT NULL,
  `read_only` TINYINT(1) NULL,
  `data` LONGTEXT NOT NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`name`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `releases`;
